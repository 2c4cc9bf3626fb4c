/* The bundled `LLM Prompt Agent` executor: an in-process (`invoke`) streaming
 * call to an OpenAI-compatible `POST <endpoint>/chat/completions` through
 * libcurl (http:// and https://, TLS peer and host always verified).
 *
 *  - Request: `{model, messages:[system?, connectionSchema?, user], stream:true,
 *    stream_options:{include_usage:true}, max_tokens?, temperature?, top_p?,
 *    top_k?}`; prompts rendered from the step inputs (`${inputs…}` then
 *    `{{x}}`); `Authorization: Bearer <key>` when `apiKeySecret` names a
 *    secret the host unsealed into `step->secrets_json`. The key is never
 *    logged, emitted or put into an error message.
 *  - Response: `text/event-stream` parsed incrementally in the libcurl write
 *    callback (SSE: `data:` lines joined per event, blank line dispatches,
 *    `:` comments, `\r\n` or `\n`, chunks split anywhere). Each callback's
 *    `choices[0].delta.content` tokens become one `log` event (stream `llm`);
 *    a `progress` event every LLM_PROGRESS_EVERY_TOKENS tokens; `model` and
 *    `usage` are taken from the chunks; `data: [DONE]` ends the stream.
 *  - Result: `{text, usage, model}`.
 *  - Cancellation: the transfer-info callback polls `inv->is_cancelled`, and
 *    an `emit` answering CANCELLED stops the transfer; invoke returns
 *    MCPK_STATUS_CANCELLED.
 *  - CA bundle: libcurl's default (Debian: /etc/ssl/certs), overridden by
 *    the kernel's environment `SSL_CERT_FILE` / `SSL_CERT_DIR` (OpenSSL's
 *    convention) for private CAs and tests.
 *
 * Ownership: every jansson value and buffer is owned by the function (or the
 * llm_stream) that created it and released before invoke returns; strings
 * handed to the host follow mcpk_invoke_support.h (mi_result / mi_fail). */
#include <curl/curl.h>
#include <pthread.h>

#include "mcpk_invoke_support.h"
#include "llm_type.h"

/* ---- limits ------------------------------------------------------------ */

/* Endpoint used when the component sets none (a local Ollama). */
#define LLM_DEFAULT_ENDPOINT "http://127.0.0.1:11434/v1"
/* Path appended to the endpoint unless it already ends with it. */
#define LLM_COMPLETIONS_PATH "/chat/completions"
/* TCP + TLS connect timeout. */
#define LLM_CONNECT_TIMEOUT_MS 10000L
/* Idle timeout: the transfer fails when fewer than LLM_IDLE_MIN_BYTES arrive
 * during LLM_IDLE_TIMEOUT_S seconds (a model may think for a while). */
#define LLM_IDLE_TIMEOUT_S 300L
#define LLM_IDLE_MIN_BYTES 1L
/* Most response bytes read (the whole stream, headers excluded). */
#define LLM_MAX_RESPONSE_BYTES (32L * 1024 * 1024)
/* Most bytes of a non-200 body quoted in the error. */
#define LLM_MAX_ERROR_BODY 500
/* Most bytes of a malformed chunk quoted in the error. */
#define LLM_MAX_QUOTED_CHUNK 200
/* A progress event every this many tokens. */
#define LLM_PROGRESS_EVERY_TOKENS 16
/* Stream name of the token log events. */
#define LLM_LOG_STREAM "llm"

/* ---- the stream -------------------------------------------------------- */

/* Where the SSE stream stands. */
typedef enum {
  LLM_STREAM_OPEN = 0,    /* reading events */
  LLM_STREAM_DONE,        /* `data: [DONE]` seen; later bytes are ignored */
  LLM_STREAM_FAILED,      /* `failure` holds the step error; the transfer aborts */
  LLM_STREAM_CANCELLED,   /* the host asked to stop */
  LLM_STREAM_HTTP_ERROR   /* status != 200; `body` collects the error body */
} llm_stream_state;

/* Per-invocation transfer state, owned by llm_invoke's stack frame. */
typedef struct {
  const mcpk_invocation *inv; /* borrowed from the host */
  CURL *curl;                 /* borrowed from llm_invoke */
  llm_stream_state state;
  long status;                /* HTTP status, known at the first body byte */
  long max_tokens;            /* for progress fractions; <= 0: unknown */
  size_t received;            /* body bytes so far */
  mx_buf line;                /* the current, incomplete line */
  mx_buf data;                /* `data:` lines of the current event, joined by \n */
  int event_is_error;         /* the current event is `event: error` */
  mx_buf text;                /* the completion so far */
  mx_buf batch;               /* tokens of this write callback */
  mx_buf body;                /* non-200 body, at most LLM_MAX_ERROR_BODY bytes */
  size_t tokens;              /* tokens so far */
  size_t progress_marks;      /* progress events emitted */
  json_t *usage;              /* owned; the last non-null `usage` */
  char *model;                /* owned; the last `model` */
  char failure[MI_MAX_MESSAGE];
} llm_stream;

static void llm_stream_fail(llm_stream *s, const char *fmt, const char *arg) {
  if (s->state == LLM_STREAM_FAILED || s->state == LLM_STREAM_CANCELLED) return;
  snprintf(s->failure, sizeof s->failure, fmt, arg);
  s->state = LLM_STREAM_FAILED;
}

static void llm_stream_release(llm_stream *s) {
  free(s->line.data);
  free(s->data.data);
  free(s->text.data);
  free(s->batch.data);
  free(s->body.data);
  free(s->model);
  json_decref(s->usage);
}

/* One complete SSE event (its joined `data`). */
static void llm_stream_dispatch(llm_stream *s) {
  int is_error = s->event_is_error;
  s->event_is_error = 0;
  if (!s->data.len) return;
  const char *data = s->data.data;
  /* The event's data is consumed here whatever happens below. */
  s->data.len = 0;
  if (strcmp(data, "[DONE]") == 0) {
    s->state = LLM_STREAM_DONE;
    return;
  }
  json_error_t je;
  json_t *chunk = json_loads(data, JSON_DECODE_ANY, &je);
  if (!chunk) {
    char quoted[LLM_MAX_QUOTED_CHUNK + 1];
    snprintf(quoted, sizeof quoted, "%s", data);
    llm_stream_fail(s, "the server sent a chunk that is not JSON: %s", quoted);
    return;
  }
  json_t *err = json_object_get(chunk, "error");
  if ((err && !json_is_null(err)) || is_error) {
    const json_t *source = err && !json_is_null(err) ? err : chunk;
    const char *m = json_is_string(source) ? json_string_value(source) : mi_str(source, "message");
    char *dumped = m ? NULL : json_dumps(source, JSON_COMPACT | JSON_ENCODE_ANY);
    llm_stream_fail(s, "model error: %s", m ? m : dumped ? dumped : "(no message)");
    free(dumped);
    json_decref(chunk);
    return;
  }
  const char *model = mi_str(chunk, "model");
  if (model && *model) {
    char *copy = mx_strdup(model);
    if (copy) { free(s->model); s->model = copy; }
  }
  json_t *usage = json_object_get(chunk, "usage");
  if (usage && !json_is_null(usage)) {
    json_decref(s->usage);
    s->usage = json_incref(usage);
  }
  json_t *delta = json_object_get(json_array_get(json_object_get(chunk, "choices"), 0), "delta");
  json_t *content = json_object_get(delta, "content");
  if (json_is_string(content) && json_string_length(content)) {
    mx_put(&s->text, json_string_value(content), json_string_length(content));
    mx_put(&s->batch, json_string_value(content), json_string_length(content));
    s->tokens++;
  }
  json_decref(chunk);
  if (s->text.failed || s->batch.failed) llm_stream_fail(s, "%s", "out of memory");
}

/* One line of the stream, without its line terminator. */
static void llm_stream_line(llm_stream *s, char *line, size_t len) {
  if (len && line[len - 1] == '\r') line[--len] = 0;
  if (len == 0) { llm_stream_dispatch(s); return; }
  if (line[0] == ':') return; /* comment / keep-alive */
  char *colon = memchr(line, ':', len);
  size_t name_len = colon ? (size_t)(colon - line) : len;
  const char *value = colon ? colon + 1 : "";
  if (*value == ' ') value++;
  if (name_len == 4 && memcmp(line, "data", 4) == 0) {
    if (s->data.len) mx_put(&s->data, "\n", 1);
    mx_put(&s->data, value, strlen(value));
    if (s->data.failed) llm_stream_fail(s, "%s", "out of memory");
  } else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
    s->event_is_error = strcmp(value, "error") == 0;
  } /* `id:`, `retry:` and unknown fields are ignored, as SSE says. */
}

/* Relays this callback's tokens: one log event, progress every N tokens. */
static void llm_stream_flush(llm_stream *s) {
  if (!s->batch.len || s->state == LLM_STREAM_CANCELLED) return;
  mcpk_status st = mi_log(s->inv, LLM_LOG_STREAM, s->batch.data);
  s->batch.len = 0;
  s->batch.data[0] = 0;
  while (st == MCPK_STATUS_OK && s->tokens / LLM_PROGRESS_EVERY_TOKENS > s->progress_marks) {
    s->progress_marks++;
    char message[64];
    size_t n = s->progress_marks * LLM_PROGRESS_EVERY_TOKENS;
    snprintf(message, sizeof message, "%zu tokens", n);
    st = mi_progress(s->inv, s->max_tokens > 0 ? (double)n / (double)s->max_tokens : -1, message);
  }
  if (st == MCPK_STATUS_CANCELLED) s->state = LLM_STREAM_CANCELLED;
}

/* CURLOPT_WRITEFUNCTION: returning less than `size * n` aborts the transfer. */
static size_t llm_on_body(char *bytes, size_t size, size_t n, void *userdata) {
  llm_stream *s = userdata;
  size_t total = size * n;
  if (s->status == 0) curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &s->status);
  if (s->status != 200) {
    s->state = LLM_STREAM_HTTP_ERROR;
    size_t room = LLM_MAX_ERROR_BODY - s->body.len;
    mx_put(&s->body, bytes, total < room ? total : room);
    return s->body.len >= LLM_MAX_ERROR_BODY ? 0 : total;
  }
  if (s->state == LLM_STREAM_DONE) return total;
  if (s->state != LLM_STREAM_OPEN) return 0;
  s->received += total;
  if (s->received > (size_t)LLM_MAX_RESPONSE_BYTES) {
    char limit[32];
    snprintf(limit, sizeof limit, "%ld", LLM_MAX_RESPONSE_BYTES);
    llm_stream_fail(s, "the response is larger than %s bytes", limit);
    return 0;
  }
  const char *p = bytes, *end = bytes + total;
  while (p < end && s->state == LLM_STREAM_OPEN) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) { mx_put(&s->line, p, (size_t)(end - p)); break; }
    mx_put(&s->line, p, (size_t)(nl - p));
    if (s->line.failed) { llm_stream_fail(s, "%s", "out of memory"); break; }
    llm_stream_line(s, s->line.data ? s->line.data : (char *)"", s->line.len);
    s->line.len = 0;
    if (s->line.data) s->line.data[0] = 0;
    p = nl + 1;
  }
  llm_stream_flush(s);
  if (s->inv->is_cancelled(s->inv->host_data)) s->state = LLM_STREAM_CANCELLED;
  return s->state == LLM_STREAM_OPEN || s->state == LLM_STREAM_DONE ? total : 0;
}

/* CURLOPT_XFERINFOFUNCTION: non-zero aborts (called at least about once a
 * second, also while nothing arrives). */
static int llm_on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
  llm_stream *s = userdata;
  if (s->inv->is_cancelled(s->inv->host_data)) s->state = LLM_STREAM_CANCELLED;
  return s->state == LLM_STREAM_CANCELLED;
}

/* ---- request ----------------------------------------------------------- */

static pthread_once_t llm_curl_once = PTHREAD_ONCE_INIT;
static CURLcode llm_curl_init_code = CURLE_FAILED_INIT;

static void llm_curl_init(void) { llm_curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Renders a prompt: its `${inputs…}` references were resolved by the engine
 * (x-mcpk-template: a text, or the value of a prompt that is one reference);
 * then `{{x}}` placeholders. Returns malloc'd text or NULL with `msg`. */
static char *llm_render_prompt(const json_t *value, json_t *inputs, char *msg, size_t msglen) {
  char *flat = json_is_string(value) ? mx_strdup(json_string_value(value))
                                     : value ? json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY) : mx_strdup("");
  if (!flat) { snprintf(msg, msglen, "out of memory"); return NULL; }
  char *out = mi_render_braces(flat, inputs, msg, msglen);
  free(flat);
  return out;
}

/* `<endpoint>/chat/completions` (malloc'd), or NULL with `msg`. */
static char *llm_url(const char *endpoint, char *msg, size_t msglen) {
  if (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0) {
    snprintf(msg, msglen, "endpoint must be an http:// or https:// URL, not '%.200s'", endpoint);
    return NULL;
  }
  size_t len = strlen(endpoint), suffix = strlen(LLM_COMPLETIONS_PATH);
  while (len && endpoint[len - 1] == '/') len--;
  int has_path = len >= suffix && memcmp(endpoint + len - suffix, LLM_COMPLETIONS_PATH, suffix) == 0;
  char *url = malloc(len + suffix + 1);
  if (!url) { snprintf(msg, msglen, "out of memory"); return NULL; }
  memcpy(url, endpoint, len);
  strcpy(url + len, has_path ? "" : LLM_COMPLETIONS_PATH);
  return url;
}

/* Copies a number member of `config` into `body` under `name` when present. */
static void llm_copy_number(json_t *body, const char *name, const json_t *config, const char *key) {
  json_t *v = json_object_get(config, key);
  if (json_is_number(v)) json_object_set(body, name, v);
}

/* Builds the request body (new reference) or NULL with `msg`. */
static json_t *llm_body(json_t *config, json_t *inputs, long *max_tokens, char *msg, size_t msglen) {
  const char *model = mi_str(config, "model");
  if (!model || !*model) { snprintf(msg, msglen, "the LLM component has no model"); return NULL; }
  json_t *messages = json_array();
  const json_t *system = json_object_get(config, "systemPrompt");
  if (system && !json_is_null(system) && !(json_is_string(system) && !*json_string_value(system))) {
    char *text = llm_render_prompt(system, inputs, msg, msglen);
    if (!text) { json_decref(messages); return NULL; }
    int bad = json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "system", "content", text));
    free(text);
    if (bad) { snprintf(msg, msglen, "systemPrompt: the rendered prompt is not valid UTF-8"); json_decref(messages); return NULL; }
  }
  /* The kernel adds `connectionSchema` (the declared connection's scanned schema) as a system message. */
  const char *schema = mi_str(config, "connectionSchema");
  if (schema && *schema && json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "system", "content", schema))) {
    snprintf(msg, msglen, "connectionSchema: not valid UTF-8");
    json_decref(messages);
    return NULL;
  }
  const json_t *user = json_object_get(config, "userPromptTemplate");
  if (!user || json_is_null(user)) user = json_is_string(json_object_get(inputs, "prompt")) ? json_object_get(inputs, "prompt") : NULL;
  char *text = llm_render_prompt(user, inputs, msg, msglen);
  if (!text) { json_decref(messages); return NULL; }
  int bad = json_array_append_new(messages, json_pack("{s:s, s:s}", "role", "user", "content", text));
  free(text);
  if (bad) { snprintf(msg, msglen, "userPromptTemplate: the rendered prompt is not valid UTF-8"); json_decref(messages); return NULL; }
  json_t *body = json_pack("{s:s, s:o, s:b, s:{s:b}}", "model", model, "messages", messages, "stream", 1,
                           "stream_options", "include_usage", 1);
  if (!body) { snprintf(msg, msglen, "cannot build the request (a prompt is not valid UTF-8?)"); return NULL; }
  json_t *mt = json_object_get(config, "maxTokens");
  *max_tokens = json_is_integer(mt) ? (long)json_integer_value(mt) : 0;
  if (json_is_integer(mt)) json_object_set(body, "max_tokens", mt);
  llm_copy_number(body, "temperature", config, "temperature");
  llm_copy_number(body, "top_p", config, "topP");
  llm_copy_number(body, "top_k", config, "topK");
  return body;
}

/* Appends `Authorization: Bearer <key>` for `apiKeySecret`. Returns OK or a
 * failure (never quoting the key). The temporary header text is wiped. */
static mcpk_status llm_auth_header(struct curl_slist **headers, json_t *config, const mcpk_step *step, mcpk_error *err) {
  const char *name = mi_str(config, "apiKeySecret");
  if (!name || !*name) return MCPK_STATUS_OK;
  json_t *secrets = step->secrets_json ? json_loads(step->secrets_json, 0, NULL) : NULL;
  const char *key = mi_str(secrets, name);
  if (!key || !*key) {
    json_decref(secrets);
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT,
                   "apiKeySecret: the secret '%.200s' is not set (create a connection of that name with a secret)", name);
  }
  if (strpbrk(key, "\r\n")) {
    json_decref(secrets);
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "apiKeySecret: the secret '%.200s' contains a line break", name);
  }
  size_t len = strlen("Authorization: Bearer ") + strlen(key) + 1;
  char *line = malloc(len);
  struct curl_slist *next = NULL;
  if (line) {
    snprintf(line, len, "Authorization: Bearer %s", key);
    next = curl_slist_append(*headers, line);
    memset(line, 0, len);
    free(line);
  }
  json_decref(secrets); /* jansson frees the plaintext copy */
  if (!next) return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  *headers = next;
  return MCPK_STATUS_OK;
}

/* Wipes (the key) and frees the header list. */
static void llm_headers_free(struct curl_slist *headers) {
  for (struct curl_slist *h = headers; h; h = h->next) memset(h->data, 0, strlen(h->data));
  curl_slist_free_all(headers);
}

/* Turns a libcurl failure into the step error. */
static mcpk_status llm_transfer_error(CURLcode rc, const char *url, const char *detail, mcpk_error *err) {
  const char *why = detail && *detail ? detail : curl_easy_strerror(rc);
  switch (rc) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
    return mi_fail(err, MCPK_STATUS_IO, "the TLS certificate of %.300s could not be verified: %s%s", url, why,
                   strstr(why, "certificate problem") ? " (a private CA goes in the kernel's SSL_CERT_FILE)" : "");
  case CURLE_OPERATION_TIMEDOUT:
    return mi_fail(err, MCPK_STATUS_TIMEOUT, "%.300s: %s", url, why);
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
    return mi_fail(err, MCPK_STATUS_IO, "cannot reach %.300s: %s", url, why);
  default:
    return mi_fail(err, MCPK_STATUS_IO, "%.300s: %s", url, why);
  }
}

/* mcpk_executor.invoke for `LLM Prompt Agent`. */
static mcpk_status llm_invoke(void *plugin_data, const mcpk_step *step, const mcpk_invocation *inv,
                              mcpk_string *out_result_json, mcpk_error *err) {
  (void)plugin_data;
  pthread_once(&llm_curl_once, llm_curl_init);
  if (llm_curl_init_code != CURLE_OK)
    return mi_fail(err, MCPK_STATUS_INTERNAL, "libcurl: %s", curl_easy_strerror(llm_curl_init_code));
  json_t *config = mi_parse(step->config_json, "config", err);
  if (!config) return MCPK_STATUS_INVALID_ARGUMENT;
  json_t *inputs = mi_parse(step->inputs_json ? step->inputs_json : "{}", "inputs", err);
  if (!inputs) { json_decref(config); return MCPK_STATUS_INVALID_ARGUMENT; }

  char msg[MI_MAX_MESSAGE] = "";
  long max_tokens = 0;
  const char *endpoint = mi_str(config, "endpoint");
  char *url = llm_url(endpoint && *endpoint ? endpoint : LLM_DEFAULT_ENDPOINT, msg, sizeof msg);
  json_t *body = url ? llm_body(config, inputs, &max_tokens, msg, sizeof msg) : NULL;
  char *body_text = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  json_decref(inputs);
  if (!body_text) {
    json_decref(config);
    free(url);
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "%s", *msg ? msg : "out of memory");
  }

  struct curl_slist *headers = NULL, *h;
  const char *fixed[] = {"Content-Type: application/json", "Accept: text/event-stream", "Expect:"};
  mcpk_status st = MCPK_STATUS_OK;
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && st == MCPK_STATUS_OK; i++) {
    if ((h = curl_slist_append(headers, fixed[i]))) headers = h;
    else st = mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  }
  if (st == MCPK_STATUS_OK) st = llm_auth_header(&headers, config, step, err);
  CURL *curl = st == MCPK_STATUS_OK ? curl_easy_init() : NULL;
  if (st == MCPK_STATUS_OK && !curl) st = mi_fail(err, MCPK_STATUS_INTERNAL, "libcurl: cannot create a handle");
  if (st != MCPK_STATUS_OK) {
    llm_headers_free(headers);
    json_decref(config);
    free(url);
    free(body_text);
    return st;
  }

  llm_stream s;
  memset(&s, 0, sizeof s);
  s.inv = inv;
  s.curl = curl;
  s.max_tokens = max_tokens;
  char curl_error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body_text);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body_text));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "mcpk-llm/1.0");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, LLM_CONNECT_TIMEOUT_MS);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, LLM_IDLE_MIN_BYTES);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, LLM_IDLE_TIMEOUT_S);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  const char *ca_file = getenv("SSL_CERT_FILE");
  if (ca_file && *ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
  const char *ca_dir = getenv("SSL_CERT_DIR");
  if (ca_dir && *ca_dir) curl_easy_setopt(curl, CURLOPT_CAPATH, ca_dir);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, llm_on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &s);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, llm_on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &s);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);

  CURLcode rc = curl_easy_perform(curl);
  if (s.status == 0) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &s.status);
  /* A stream that ends on an event without the closing blank line. */
  if (s.state == LLM_STREAM_OPEN && rc == CURLE_OK && s.status == 200) {
    if (s.line.len) llm_stream_line(&s, s.line.data, s.line.len);
    llm_stream_dispatch(&s);
    llm_stream_flush(&s);
  }
  if (s.state != LLM_STREAM_CANCELLED && inv->is_cancelled(inv->host_data)) s.state = LLM_STREAM_CANCELLED;

  if (s.state == LLM_STREAM_CANCELLED) {
    st = mi_fail(err, MCPK_STATUS_CANCELLED, "cancelled");
  } else if (s.status != 0 && s.status != 200) {
    st = mi_fail(err, s.status == 401 || s.status == 403 ? MCPK_STATUS_UNAUTHENTICATED : MCPK_STATUS_IO,
                 "%.300s answered HTTP %ld: %.*s", url, s.status, LLM_MAX_ERROR_BODY, s.body.data ? s.body.data : "");
  } else if (s.state == LLM_STREAM_FAILED) {
    st = mi_fail(err, MCPK_STATUS_IO, "%s", s.failure);
  } else if (rc != CURLE_OK) {
    st = llm_transfer_error(rc, url, curl_error, err);
  } else if (s.state != LLM_STREAM_DONE && s.text.len == 0) {
    st = mi_fail(err, MCPK_STATUS_IO, "the stream from %.300s ended without any completion", url);
  } else {
    const char *model = s.model ? s.model : mi_str(config, "model");
    json_t *result = json_pack("{s:s%, s:O, s:s}", "text", s.text.data ? s.text.data : "", s.text.len,
                               "usage", s.usage ? s.usage : json_null(), "model", model ? model : "");
    st = result ? mi_result(result, out_result_json, err) : mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
    json_decref(result);
  }

  curl_easy_cleanup(curl);
  llm_headers_free(headers);
  llm_stream_release(&s);
  json_decref(config);
  free(url);
  free(body_text);
  return st;
}

static const char *const llm_types[] = {"LLM Prompt Agent"};

MI_DEFINE_PLUGIN("llm", "LLM Prompt Agent steps: streaming OpenAI-compatible chat completions (libcurl, TLS verified)",
                 llm_types, type_defs, llm_invoke)
