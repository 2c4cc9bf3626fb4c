/* The llm plugin's request building (llm_request.h). */
#include "llm_request.h"

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

/* `<endpoint>/chat/completions` (malloc'd), or NULL with `msg`. The endpoint
 * needs a host: `https://` alone (or `https:///`) is refused, not turned into
 * `https:/chat/completions`. */
static char *llm_url(const char *endpoint, char *msg, size_t msglen) {
  size_t scheme = strncmp(endpoint, "http://", 7) == 0 ? 7 : strncmp(endpoint, "https://", 8) == 0 ? 8 : 0;
  size_t len = strlen(endpoint), suffix = strlen(LLM_COMPLETIONS_PATH);
  while (len > scheme && endpoint[len - 1] == '/') len--;
  if (!scheme || endpoint[scheme] == '/' || len == scheme) {
    snprintf(msg, msglen, "endpoint must be an http:// or https:// URL, not '%.200s'", endpoint);
    return NULL;
  }
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

void llm_request_release(llm_request *r) {
  llm_headers_free(r->headers);
  json_decref(r->config);
  free(r->url);
  free(r->body);
  memset(r, 0, sizeof *r);
}

mcpk_status llm_request_build(const mcpk_step *step, llm_request *out, mcpk_error *err) {
  memset(out, 0, sizeof *out);
  json_t *config = mi_parse(step->config_json, "config", err);
  if (!config) return MCPK_STATUS_INVALID_ARGUMENT;
  json_t *inputs = mi_parse(step->inputs_json ? step->inputs_json : "{}", "inputs", err);
  if (!inputs) { json_decref(config); return MCPK_STATUS_INVALID_ARGUMENT; }
  out->config = config;

  char msg[MI_MAX_MESSAGE] = "";
  const char *endpoint = mi_str(config, "endpoint");
  out->url = llm_url(endpoint && *endpoint ? endpoint : LLM_DEFAULT_ENDPOINT, msg, sizeof msg);
  json_t *body = out->url ? llm_body(config, inputs, &out->max_tokens, msg, sizeof msg) : NULL;
  out->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
  json_decref(body);
  json_decref(inputs);
  if (!out->body) {
    llm_request_release(out);
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "%s", *msg ? msg : "out of memory");
  }

  const char *fixed[] = {"Content-Type: application/json", "Accept: text/event-stream", "Expect:"};
  mcpk_status st = MCPK_STATUS_OK;
  struct curl_slist *h;
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0] && st == MCPK_STATUS_OK; i++) {
    if ((h = curl_slist_append(out->headers, fixed[i]))) out->headers = h;
    else st = mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  }
  if (st == MCPK_STATUS_OK) st = llm_auth_header(&out->headers, config, step, err);
  if (st != MCPK_STATUS_OK) llm_request_release(out);
  return st;
}
