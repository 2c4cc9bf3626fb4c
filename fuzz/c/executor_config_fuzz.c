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
 * Built with -DMCPK_FUZZ_REPLAY it has its own main instead of libFuzzer's:
 *   mcpk-fuzz-c-replay DIR...   runs every file of each fuzz/corpus/c-<name> DIR once (make test).
 */
#include <dirent.h>
#include <jansson.h>
#include <mcpk/plugin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FZ_PLUGINS(X) X(python) X(typescript) X(mcp) X(notebook) X(streamlit) X(data) X(output) X(utility)

#define FZ_DECLARE(N) \
  mcpk_status mcpk_plugin_init_##N(uint32_t, const mcpk_host *, mcpk_plugin *, size_t, mcpk_error *);
FZ_PLUGINS(FZ_DECLARE)

typedef mcpk_status (*fz_init_fn)(uint32_t, const mcpk_host *, mcpk_plugin *, size_t, mcpk_error *);
typedef struct { const char *name; fz_init_fn init; } fz_entry;
#define FZ_ENTRY(N) {"c-" #N, mcpk_plugin_init_##N},
static const fz_entry fz_entries[] = {FZ_PLUGINS(FZ_ENTRY)};

static mcpk_plugin fz_plugin;
static int fz_ready;
static char fz_work[64];

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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const mcpk_executor *ex = fz_plugin.executor;
  char *text = malloc(size + 1);
  memcpy(text, data, size);
  text[size] = 0;
  const char *inputs = strlen(text) < size ? text + strlen(text) + 1 : "{}";
  mcpk_step step = {0};
  step.struct_size = sizeof step;
  step.component_type = ex->component_types[0];
  step.config_json = text;
  step.inputs_json = inputs;
  step.work_dir = fz_work;
  step.run_id = "fuzz-run";
  step.step_id = "s";
  step.attempt = 1;
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
    mcpk_invocation inv = {0};
    inv.struct_size = sizeof inv;
    inv.emit = fz_emit;
    inv.is_cancelled = fz_is_cancelled;
    inv.query = fz_query;
    inv.call_op = fz_call_op;
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
