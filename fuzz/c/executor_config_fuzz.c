/* libFuzzer harness of the C executor plugins' config parsing (issue 16), built by
 * scripts/fuzz-c.sh: every Plugins/<name>/<name>_executor.c listed there is compiled with
 * -Dmcpk_plugin_init=mcpk_plugin_init_<name> and linked into ONE binary with this file;
 * MCPK_FUZZ_TARGET=c-<name> picks the plugin. An input is the component config JSON text,
 * optionally followed by a NUL byte and the step inputs JSON text (default "{}"). The harness
 * calls the executor's entry point the kernel calls with that config: `plan` (process
 * executors: for a config that is a JSON object, as the kernel passes, the spec returned must be
 * a JSON object) or `invoke` (in-process executors) with a host
 * whose callbacks answer NOT_FOUND for queries and plugin ops (so nothing leaves the process),
 * then releases what came back. ASan reports memory errors and leaks.
 *
 * c-llm does not call `invoke` (it opens an HTTP connection) but exactly the code invoke runs
 * around the transfer (Plugins/llm/llm_request.h, llm_stream.h): an input is the config, optionally
 * NUL + the step inputs, optionally NUL + a server response body (an SSE stream). The request is
 * built from the step (with a fixed secret FZ_LLM_KEY named `openai`); a built request must have a
 * JSON object body, an http(s) URL with a host, ending in /chat/completions, and header lines
 * without a line break. The response is then fed, as HTTP 200, to the stream parser whole, byte by byte and in
 * 7-byte pieces: the outcome (status, message, result) must be the same each way, a stopped
 * transfer must be explained by the stream, a success's `llm` log events must add up to its text
 * and its result must be JSON; fed as HTTP 500 the step must fail naming the status. The key
 * must appear in no message, event or result unless the input itself holds it.
 *
 * Built with -DMCPK_FUZZ_REPLAY it has its own main instead of libFuzzer's:
 *   mcpk-fuzz-c-replay DIR...   runs every file of each fuzz/corpus/c-<name> DIR once (make test).
 */
#define _GNU_SOURCE /* memmem */
#include <dirent.h>
#include <jansson.h>
#include <mcpk/plugin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "llm_request.h"
#include "llm_stream.h"

#define FZ_PLUGINS(X) X(python) X(typescript) X(mcp) X(notebook) X(streamlit) X(data) X(output) X(utility) X(llm)

#define FZ_DECLARE(N) \
  mcpk_status mcpk_plugin_init_##N(uint32_t, const mcpk_host *, mcpk_plugin *, size_t, mcpk_error *);
FZ_PLUGINS(FZ_DECLARE)

typedef mcpk_status (*fz_init_fn)(uint32_t, const mcpk_host *, mcpk_plugin *, size_t, mcpk_error *);
typedef struct { const char *name; fz_init_fn init; } fz_entry;
#define FZ_ENTRY(N) {"c-" #N, mcpk_plugin_init_##N},
static const fz_entry fz_entries[] = {FZ_PLUGINS(FZ_ENTRY)};

static mcpk_plugin fz_plugin;
static int fz_ready;
static int fz_llm; /* the target is c-llm */
static char fz_work[64];

/* c-llm: the API key the harness's host unsealed for `apiKeySecret: "openai"`. */
#define FZ_LLM_KEY "sk-fuzz-4c1e9a7d02b35f68"
#define FZ_LLM_SECRETS "{\"openai\":\"" FZ_LLM_KEY "\"}"
/* c-llm: what the `llm` log events carried (the tokens relayed), and whether anything the plugin
 * emitted held the key. */
static char *fz_llm_logged;
static size_t fz_llm_logged_len;
static int fz_llm_leaked;

static void fz_release_error(mcpk_error *e) {
  if (e->release) e->release(e);
  memset(e, 0, sizeof *e);
}

static mcpk_status fz_emit(void *h, const char *type, const char *payload) {
  (void)h;
  /* The host checks every event; a plugin must hand it a type and a JSON object text. */
  if (!type || !payload) abort();
  json_t *v = json_loads(payload, JSON_DECODE_ANY, NULL);
  if (!v) {
    fprintf(stderr, "emit(%s) with a payload that is not JSON: %s\n", type, payload);
    abort();
  }
  if (fz_llm) {
    if (strstr(payload, FZ_LLM_KEY)) fz_llm_leaked = 1;
    const json_t *stream = json_object_get(v, "stream"), *message = json_object_get(v, "message");
    if (strcmp(type, "log") == 0 && json_is_string(stream) && strcmp(json_string_value(stream), LLM_LOG_STREAM) == 0 &&
        json_is_string(message)) {
      size_t n = json_string_length(message);
      char *grown = realloc(fz_llm_logged, fz_llm_logged_len + n + 1);
      if (!grown) abort();
      memcpy(grown + fz_llm_logged_len, json_string_value(message), n);
      fz_llm_logged = grown;
      fz_llm_logged_len += n;
      fz_llm_logged[fz_llm_logged_len] = 0;
    }
  }
  json_decref(v);
  return MCPK_STATUS_OK;
}

static int32_t fz_is_cancelled(void *h) { (void)h; return 0; }

static void fz_free_error(mcpk_error *e) { free(e->message); e->message = NULL; }

static mcpk_status fz_fail(mcpk_error *err, const char *what) {
  if (err) {
    err->message = strdup(what);
    err->release = fz_free_error;
  }
  return MCPK_STATUS_NOT_FOUND;
}

static mcpk_status fz_query(void *h, const char *connection, const mcpk_query *q, const mcpk_row_sink *sink, mcpk_error *err) {
  (void)h; (void)connection; (void)q; (void)sink;
  return fz_fail(err, "fuzz host: no connections");
}

static mcpk_status fz_call_op(void *h, const char *plugin, const char *op, const char *args, mcpk_string *out, mcpk_error *err) {
  (void)h; (void)plugin; (void)op; (void)args; (void)out;
  return fz_fail(err, "fuzz host: no plugins");
}

/* The output executor writes its artifact into the work dir: empty it after each input. */
static void fz_clear_work(void) {
  DIR *d = opendir(fz_work);
  if (!d) return;
  struct dirent *e;
  char path[512];
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
    snprintf(path, sizeof path, "%s/%s", fz_work, e->d_name);
    unlink(path);
  }
  closedir(d);
}

static void fz_remove_work(void) {
  fz_clear_work();
  rmdir(fz_work);
}

static void fz_setup(const char *target) {
  fz_init_fn init = NULL;
  for (size_t i = 0; i < sizeof fz_entries / sizeof fz_entries[0]; i++)
    if (target && strcmp(fz_entries[i].name, target) == 0) init = fz_entries[i].init;
  if (!init) {
    fprintf(stderr, "MCPK_FUZZ_TARGET must be one of:");
    for (size_t i = 0; i < sizeof fz_entries / sizeof fz_entries[0]; i++) fprintf(stderr, " %s", fz_entries[i].name);
    fprintf(stderr, "\n");
    exit(2);
  }
  if (fz_ready && fz_plugin.release) fz_plugin.release(&fz_plugin);
  fz_llm = strcmp(target, "c-llm") == 0;
  mcpk_error err = {0};
  memset(&fz_plugin, 0, sizeof fz_plugin);
  if (init(MCPK_ABI_VERSION, NULL, &fz_plugin, sizeof fz_plugin, &err) != MCPK_STATUS_OK || !fz_plugin.executor) {
    fprintf(stderr, "%s: init failed: %s\n", target, err.message ? err.message : "?");
    exit(2);
  }
  if (!fz_work[0]) {
    snprintf(fz_work, sizeof fz_work, "/tmp/mcpk-fuzz-c-XXXXXX");
    if (!mkdtemp(fz_work)) { perror("mkdtemp"); exit(2); }
    atexit(fz_remove_work);
  }
  fz_ready = 1;
}

/* The step the harness runs: the plugin's first type, the input's config and inputs. */
static mcpk_step fz_step(const char *config, const char *inputs) {
  mcpk_step step = {0};
  step.struct_size = sizeof step;
  step.component_type = fz_plugin.executor->component_types[0];
  step.config_json = config;
  step.inputs_json = inputs;
  step.work_dir = fz_work;
  step.run_id = "fuzz-run";
  step.step_id = "s";
  step.attempt = 1;
  return step;
}

/* ---- c-llm ------------------------------------------------------------- */

/* Response piece sizes: 0 = the whole body in one piece. */
static const size_t fz_llm_pieces[] = {0, 1, 7};

/* One way of feeding the response: what the step ended with. */
typedef struct {
  mcpk_status status;
  char *message; /* owned, "" when none */
  char *result;  /* owned, NULL when failed */
} fz_llm_outcome;

static mcpk_invocation fz_invocation(void);

static char *fz_dup(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (!d) abort();
  memcpy(d, s, n);
  d[n] = 0;
  return d;
}

static int fz_has_key(const char *s) { return s && strstr(s, FZ_LLM_KEY) != NULL; }

/* Feeds `body` in pieces of `piece` bytes as libcurl would (HTTP `status`), then ends the step
 * as llm_invoke does: the transfer failed when the stream stopped it. */
static fz_llm_outcome fz_llm_respond(const llm_request *req, long status, const uint8_t *body, size_t len, size_t piece) {
  mcpk_invocation inv = fz_invocation();
  llm_stream s;
  llm_stream_init(&s, &inv, req->max_tokens);
  s.status = status;
  free(fz_llm_logged);
  fz_llm_logged = NULL;
  fz_llm_logged_len = 0;
  int stopped = 0;
  for (size_t off = 0; off < len && !stopped;) {
    size_t n = piece && piece < len - off ? piece : len - off;
    stopped = llm_stream_feed(&s, (const char *)body + off, n) != n || llm_stream_poll_cancel(&s);
    off += n;
  }
  if (!stopped) llm_stream_end(&s);
  mcpk_error err = {0};
  mcpk_string out = {0};
  mcpk_status st = llm_stream_failure(&s, req->url, &err);
  if (st == MCPK_STATUS_OK && stopped) {
    fprintf(stderr, "the stream stopped the transfer without a failure\n");
    abort();
  }
  if (st == MCPK_STATUS_OK) st = llm_stream_result(&s, req->url, mi_str(req->config, "model"), &out, &err);
  fz_llm_outcome o = {st, fz_dup(err.message ? err.message : "", err.message ? strlen(err.message) : 0), NULL};
  if (st == MCPK_STATUS_OK) {
    json_t *r = json_loadb(out.data, out.length, 0, NULL);
    const json_t *text = json_object_get(r, "text");
    if (!json_is_object(r) || !json_is_string(text)) {
      fprintf(stderr, "the LLM result is not {text, …}: %.*s\n", (int)out.length, out.data);
      abort();
    }
    if (json_string_length(text) != fz_llm_logged_len || memcmp(json_string_value(text), fz_llm_logged ? fz_llm_logged : "", fz_llm_logged_len) != 0) {
      fprintf(stderr, "the llm log events (%zu bytes) do not add up to the result text (%zu bytes)\n", fz_llm_logged_len,
              json_string_length(text));
      abort();
    }
    json_decref(r);
    o.result = fz_dup(out.data, out.length);
  } else if (!*o.message) {
    fprintf(stderr, "status %d without an error message\n", (int)st);
    abort();
  }
  if (out.release) out.release(&out);
  fz_release_error(&err);
  llm_stream_release(&s);
  return o;
}

static void fz_llm_outcome_free(fz_llm_outcome *o) {
  free(o->message);
  free(o->result);
}

static void fz_llm_one(const char *config, const char *inputs, const uint8_t *body, size_t body_len, int input_has_key) {
  mcpk_step step = fz_step(config, inputs);
  step.work_dir = NULL; /* LLM Prompt Agent: MCPK_TYPE_NO_WORK_DIR */
  step.secrets_json = FZ_LLM_SECRETS;
  fz_llm_leaked = 0;
  llm_request req;
  mcpk_error err = {0};
  mcpk_status st = llm_request_build(&step, &req, &err);
  if (st != MCPK_STATUS_OK) {
    if (!err.message || !*err.message) {
      fprintf(stderr, "request: status %d without an error message\n", (int)st);
      abort();
    }
    if (!input_has_key && fz_has_key(err.message)) {
      fprintf(stderr, "the API key is in an error message: %s\n", err.message);
      abort();
    }
    fz_release_error(&err);
    return;
  }
  json_t *b = json_loads(req.body, 0, NULL);
  if (!json_is_object(b)) {
    fprintf(stderr, "the request body is not a JSON object: %s\n", req.body);
    abort();
  }
  json_decref(b);
  size_t url_len = strlen(req.url), suffix = strlen(LLM_COMPLETIONS_PATH);
  size_t scheme = strncmp(req.url, "http://", 7) == 0 ? 7 : strncmp(req.url, "https://", 8) == 0 ? 8 : 0;
  if (!scheme || req.url[scheme] == '/' || url_len < scheme + 1 + suffix ||
      strcmp(req.url + url_len - suffix, LLM_COMPLETIONS_PATH) != 0) {
    fprintf(stderr, "the request URL is not <http(s)://host…>%s: %s\n", LLM_COMPLETIONS_PATH, req.url);
    abort();
  }
  for (const struct curl_slist *h = req.headers; h; h = h->next)
    if (strpbrk(h->data, "\r\n")) {
      fprintf(stderr, "a request header holds a line break\n");
      abort();
    }

  fz_llm_outcome first = {0};
  for (size_t i = 0; i < sizeof fz_llm_pieces / sizeof fz_llm_pieces[0]; i++) {
    fz_llm_outcome o = fz_llm_respond(&req, 200, body, body_len, fz_llm_pieces[i]);
    if (!input_has_key && (fz_has_key(o.message) || fz_has_key(o.result) || fz_llm_leaked)) {
      fprintf(stderr, "the API key left the plugin (message, result or event)\n");
      abort();
    }
    if (i == 0) { first = o; continue; }
    if (o.status != first.status || strcmp(o.message, first.message) != 0 ||
        (o.result == NULL) != (first.result == NULL) || (o.result && strcmp(o.result, first.result) != 0)) {
      fprintf(stderr, "the response fed in %zu-byte pieces ends otherwise than whole:\n  whole: %d %s %s\n  pieces: %d %s %s\n",
              fz_llm_pieces[i], (int)first.status, first.message, first.result ? first.result : "-", (int)o.status, o.message,
              o.result ? o.result : "-");
      abort();
    }
    fz_llm_outcome_free(&o);
  }
  fz_llm_outcome_free(&first);

  fz_llm_outcome e = fz_llm_respond(&req, 500, body, body_len, 0);
  if (e.status == MCPK_STATUS_OK || !strstr(e.message, "answered HTTP 500")) {
    fprintf(stderr, "an HTTP 500 response ended with %d %s\n", (int)e.status, e.message);
    abort();
  }
  fz_llm_outcome_free(&e);
  llm_request_release(&req);
}

/* The harness host's callbacks (queries and plugin ops answer NOT_FOUND). */
static mcpk_invocation fz_invocation(void) {
  mcpk_invocation inv = {0};
  inv.struct_size = sizeof inv;
  inv.emit = fz_emit;
  inv.is_cancelled = fz_is_cancelled;
  inv.query = fz_query;
  inv.call_op = fz_call_op;
  return inv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const mcpk_executor *ex = fz_plugin.executor;
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  const char *inputs = strlen(text) < size ? text + strlen(text) + 1 : "{}";
  if (fz_llm) {
    /* config NUL inputs NUL response: the response is every byte after the second NUL. */
    size_t at = strlen(text) < size ? strlen(text) + 1 + strlen(inputs) + 1 : size;
    const uint8_t *body = at < size ? data + at : data + size;
    fz_llm_one(text, inputs, body, at < size ? size - at : 0, memmem(data, size, FZ_LLM_KEY, strlen(FZ_LLM_KEY)) != NULL);
    free(text);
    return 0;
  }
  mcpk_step step = fz_step(text, inputs);
  mcpk_string out = {0};
  mcpk_error err = {0};
  mcpk_status st;
  if (ex->plan) {
    st = ex->plan(fz_plugin.private_data, &step, &out, &err);
    /* The kernel hands plan the component config as JSON object text (it serialised it); for
     * anything else only memory safety is checked. */
    json_t *config = json_loads(text, 0, NULL);
    int valid_config = config && json_is_object(config);
    json_decref(config);
    if (st == MCPK_STATUS_OK && valid_config) {
      /* A spec the kernel cannot parse would fail every attempt of the step. */
      json_t *spec = json_loadb(out.data, out.length, 0, NULL);
      if (!spec || !json_is_object(spec)) {
        fprintf(stderr, "plan returned a spec that is not a JSON object: %.*s\n", (int)out.length, out.data);
        abort();
      }
      json_decref(spec);
    }
  } else {
    mcpk_invocation inv = fz_invocation();
    st = ex->invoke(fz_plugin.private_data, &step, &inv, &out, &err);
    if (st == MCPK_STATUS_OK && out.data) {
      json_t *r = json_loadb(out.data, out.length, JSON_DECODE_ANY, NULL);
      if (!r) {
        fprintf(stderr, "invoke returned a result that is not JSON: %.*s\n", (int)out.length, out.data);
        abort();
      }
      json_decref(r);
    }
    fz_clear_work();
  }
  /* A failure must say why (the kernel shows the message). */
  if (st != MCPK_STATUS_OK && (!err.message || !*err.message)) {
    fprintf(stderr, "status %d without an error message\n", (int)st);
    abort();
  }
  if (out.release) out.release(&out);
  fz_release_error(&err);
  free(text);
  return 0;
}

#ifdef MCPK_FUZZ_REPLAY
static int fz_replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); return 1; }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
  size_t got = fread(buf, 1, (size_t)n, f);
  fclose(f);
  LLVMFuzzerTestOneInput(buf, got);
  free(buf);
  return 0;
}

static int fz_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Replays every file of each corpus directory (named c-<plugin>) through its plugin. */
int main(int argc, char **argv) {
  int files = 0, failed = 0;
  for (int a = 1; a < argc; a++) {
    const char *dir = argv[a];
    const char *slash = strrchr(dir, '/');
    fz_setup(slash ? slash + 1 : dir);
    DIR *d = opendir(dir);
    if (!d) { perror(dir); return 1; }
    char *names[4096];
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d)) && count < 4096)
      if (e->d_name[0] != '.') names[count++] = strdup(e->d_name);
    closedir(d);
    if (count == 0) { fprintf(stderr, "%s: empty corpus\n", dir); return 1; }
    qsort(names, (size_t)count, sizeof names[0], fz_cmp);
    for (int i = 0; i < count; i++) {
      char path[1024];
      snprintf(path, sizeof path, "%s/%s", dir, names[i]);
      failed += fz_replay_file(path);
      files++;
      free(names[i]);
    }
  }
  printf("replayed %d corpus files of %d C executor targets\n", files, argc - 1);
  return failed ? 1 : 0;
}
#else
int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc; (void)argv;
  fz_setup(getenv("MCPK_FUZZ_TARGET"));
  return 0;
}
#endif
