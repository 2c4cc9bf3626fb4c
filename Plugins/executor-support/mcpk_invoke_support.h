/* Shared helpers of the bundled in-process (`invoke`) executors: utility,
 * output, data, llm. Header-only and static, built on Debian's jansson
 * (`libjansson-dev`, pkg-config `jansson`); no kernel symbols.
 *
 *  - No reference language: the engine resolves `${inputs…}` / `${steps…}`
 *    into the inputs and into the config fields a type's schema marks
 *    `x-mcpk-template` (KernelCore Template) before a plugin sees the step.
 *  - `{{a.b}}` placeholders (LLM prompts): a dotted path into the inputs.
 *  - Results, failures and events in the ABI's ownership rules.
 *  - Step parsing (mi_parse_step), integer config members (mi_int),
 *    cancellation (mi_cancelled), ABI 1.1.0 checks (mi_has_call_op) and
 *    host errors carried over with their SQLSTATE (mi_fail_from). */
#ifndef MCPK_INVOKE_SUPPORT_H
#define MCPK_INVOKE_SUPPORT_H

#include <jansson.h>
#include <mcpk/plugin.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mcpk_executor_support.h"

/* Longest reference text accepted (KernelCore Reference.maxLength). */
#define MI_MAX_REFERENCE 1024
/* Longest error message built here. */
#define MI_MAX_MESSAGE 1024

/* ---- failures and results ------------------------------------------- */

/* Fills `err` (formatted message) and returns `st`. */
static inline mcpk_status mi_fail(mcpk_error *err, mcpk_status st, const char *fmt, ...) {
  if (err) {
    if (err->release) err->release(err); /* replaces an earlier message */
    char *m = malloc(MI_MAX_MESSAGE);
    if (m) {
      va_list ap;
      va_start(ap, fmt);
      vsnprintf(m, MI_MAX_MESSAGE, fmt, ap);
      va_end(ap);
    }
    err->message = m;
    err->release = mx_error_release;
  }
  return st;
}

/* Hands `value` (borrowed) to the host as compact JSON text. */
static inline mcpk_status mi_result(const json_t *value, mcpk_string *out, mcpk_error *err) {
  char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!text) return mi_fail(err, MCPK_STATUS_NO_MEMORY, "cannot serialise the result");
  out->data = text;
  out->length = strlen(text);
  out->private_data = NULL;
  out->release = mx_string_release;
  return MCPK_STATUS_OK;
}

/* Emits one run event; `payload` is borrowed. Returns the host's status. */
static inline mcpk_status mi_emit(const mcpk_invocation *inv, const char *type, const json_t *payload) {
  char *text = json_dumps(payload, JSON_COMPACT);
  if (!text) return MCPK_STATUS_NO_MEMORY;
  mcpk_status st = inv->emit(inv->host_data, type, text);
  free(text);
  return st;
}

/* A `log` event `{message, stream}`. */
static inline mcpk_status mi_log(const mcpk_invocation *inv, const char *stream, const char *message) {
  json_t *p = json_pack("{s:s, s:s}", "message", message, "stream", stream);
  if (!p) return MCPK_STATUS_NO_MEMORY;
  mcpk_status st = mi_emit(inv, "log", p);
  json_decref(p);
  return st;
}

/* A `progress` event; fraction < 0 means unknown. */
static inline mcpk_status mi_progress(const mcpk_invocation *inv, double fraction, const char *message) {
  json_t *p = json_object();
  if (!p) return MCPK_STATUS_NO_MEMORY;
  if (fraction >= 0) json_object_set_new(p, "fraction", json_real(fraction > 1 ? 1 : fraction));
  if (message) json_object_set_new(p, "message", json_string(message));
  mcpk_status st = mi_emit(inv, "progress", p);
  json_decref(p);
  return st;
}

/* Parses a JSON text the host handed over (config, inputs, secrets). */
static inline json_t *mi_parse(const char *text, const char *what, mcpk_error *err) {
  json_error_t je;
  json_t *v = json_loads(text ? text : "null", JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
  if (!v) mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "%s is not JSON: %s", what, je.text);
  return v;
}

/* A string member of an object, or NULL (borrowed from `obj`). */
static inline const char *mi_str(const json_t *obj, const char *key) {
  const json_t *v = json_object_get(obj, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An integer member of an object: `def` when absent; -1 (and `*bad` = 1)
 * when present but not an integer. */
static inline long long mi_int(const json_t *obj, const char *key, long long def, int *bad) {
  const json_t *v = json_object_get(obj, key);
  if (!v || json_is_null(v)) return def;
  if (json_is_integer(v)) return (long long)json_integer_value(v);
  if (json_is_real(v) && json_real_value(v) == (double)(long long)json_real_value(v)) return (long long)json_real_value(v);
  if (bad) *bad = 1;
  return -1;
}

/* 1 once the step was cancelled (or timed out). */
static inline int mi_cancelled(const mcpk_invocation *inv) {
  return inv->is_cancelled && inv->is_cancelled(inv->host_data) != 0;
}

/* 1 if the host's invocation table has `call_op` (ABI 1.1.0). */
static inline int mi_has_call_op(const mcpk_invocation *inv) {
  return inv->struct_size >= offsetof(mcpk_invocation, call_op) + sizeof(inv->call_op) && inv->call_op != NULL;
}

/* The step's config and inputs, parsed (new references in `*config`,
 * `*inputs`; both objects). On failure both are NULL and `err` is filled. */
static inline mcpk_status mi_parse_step(const mcpk_step *step, json_t **config, json_t **inputs, mcpk_error *err) {
  *config = NULL;
  *inputs = NULL;
  json_t *c = mi_parse(step->config_json ? step->config_json : "{}", "the component config", err);
  if (!c) return MCPK_STATUS_INVALID_ARGUMENT;
  json_t *i = mi_parse(step->inputs_json ? step->inputs_json : "{}", "the step inputs", err);
  if (!i) { json_decref(c); return MCPK_STATUS_INVALID_ARGUMENT; }
  if (!json_is_object(c)) { json_decref(c); json_decref(i); return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "the component config is not a JSON object"); }
  *config = c;
  *inputs = i;
  return MCPK_STATUS_OK;
}

/* Takes over an error a host callback filled (`from`), prefixing `context`
 * to its message and keeping its SQLSTATE and vendor code; releases `from`.
 * Returns `st`. */
static inline mcpk_status mi_fail_from(mcpk_error *err, mcpk_status st, mcpk_error *from, const char *context) {
  const char *m = from->message && *from->message ? from->message : NULL;
  char state[6] = {0};
  memcpy(state, from->sqlstate, 5);
  int32_t vendor = from->vendor_code;
  if (m) mi_fail(err, st, "%s: %s", context, m);
  else mi_fail(err, st, "%s (status %d)", context, (int)st);
  if (from->release) from->release(from);
  memset(from, 0, sizeof *from);
  if (err) {
    memcpy(err->sqlstate, state, sizeof state);
    err->vendor_code = vendor;
  }
  return st;
}

/* ---- prompt placeholders ---------------------------------------------- */
/* `${inputs…}` references are resolved by the engine before a plugin sees the step
 * (config fields marked x-mcpk-template); no copy of that language lives here. */

/* The input at dotted path `path` (`a.b.0`, `len` bytes), borrowed, or NULL. */
static inline json_t *mi_input_path(json_t *inputs, const char *path, size_t len) {
  json_t *cur = inputs;
  size_t p = 0;
  while (cur && p <= len) {
    size_t s = p;
    while (p < len && path[p] != '.') p++;
    if (p == s) return NULL;
    char key[MI_MAX_REFERENCE + 1];
    size_t klen = p - s > MI_MAX_REFERENCE ? MI_MAX_REFERENCE : p - s;
    memcpy(key, path + s, klen);
    key[klen] = 0;
    if (json_is_array(cur)) {
      char *end;
      long i = strtol(key, &end, 10);
      cur = (*end || i < 0) ? NULL : json_array_get(cur, (size_t)i);
    } else {
      cur = json_is_object(cur) ? json_object_get(cur, key) : NULL;
    }
    if (p == len) break;
    p++;
  }
  return cur;
}

/* Appends a value as text: strings as-is, others as compact JSON. */
static inline void mi_put_value(mx_buf *b, const json_t *v) {
  if (json_is_string(v)) { mx_put(b, json_string_value(v), json_string_length(v)); return; }
  char *t = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
  if (!t) { b->failed = 1; return; }
  mx_put(b, t, strlen(t));
  free(t);
}

/* Renders `{{a.b}}` placeholders of `text` from `inputs` (LLM prompts).
 * Returns a malloc'd string, or NULL with `msg`. */
static inline char *mi_render_braces(const char *text, json_t *inputs, char *msg, size_t msglen) {
  mx_buf b = {0};
  mx_put(&b, "", 0);
  const char *p = text;
  for (;;) {
    const char *open = strstr(p, "{{");
    if (!open) break;
    const char *close = strstr(open + 2, "}}");
    if (!close) break;
    mx_put(&b, p, (size_t)(open - p));
    const char *s = open + 2, *e = close;
    while (s < e && (*s == ' ' || *s == '\t')) s++;
    while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
    /* `{{a.b}}` reads inputs.a.b. */
    json_t *v = e > s && (size_t)(e - s) <= MI_MAX_REFERENCE ? mi_input_path(inputs, s, (size_t)(e - s)) : NULL;
    if (!v) {
      snprintf(msg, msglen, "prompt placeholder '{{%.*s}}' has no value in the inputs", (int)(e - s > 200 ? 200 : e - s), s);
      free(b.data);
      return NULL;
    }
    mi_put_value(&b, v);
    p = close + 2;
  }
  mx_put(&b, p, strlen(p));
  if (b.failed) { free(b.data); snprintf(msg, msglen, "out of memory"); return NULL; }
  return b.data;
}

/* ---- plugin definition ------------------------------------------------ */

/* Standard init for an in-process executor handling `TYPES` with `INVOKE`:
 * ABI 1.3.0 (mcpk_component_type.flags) when the host offers it, else the
 * newest the host offers (1.1.0 adds mcpk_invocation.call_op). */
#define MI_DEFINE_PLUGIN(NAME, DESCRIPTION, TYPES, TYPE_DEFS, INVOKE) \
  MX_DEFINE_EXECUTOR(NAME, DESCRIPTION, TYPES, TYPE_DEFS, NULL, INVOKE, MCPK_ABI_VERSION_1_3_0)

#endif
