/* Shared helpers of the bundled process executors (header-only, static):
 * readers for top-level members of the component config (jansson, Debian's
 * `libjansson-dev`, pkg-config `jansson`) and a JSON writer for the process
 * spec. No kernel symbols. */
#ifndef MCPK_EXECUTOR_SUPPORT_H
#define MCPK_EXECUTOR_SUPPORT_H

#include <jansson.h>
#include <mcpk/plugin.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---------------------------------------------------------- */
/* Top-level members of the component config (JSON object text), read with jansson
 * (the one JSON library of the C executors). */

/* The member `key` of the object text `obj`, as a new jansson reference, or NULL. */
static inline json_t *mx_member(const char *obj, const char *key) {
  json_t *root = obj ? json_loads(obj, 0, NULL) : NULL;
  json_t *v = json_is_object(root) ? json_object_get(root, key) : NULL;
  if (v) json_incref(v);
  json_decref(root);
  return v;
}

/* Decodes a JSON string member; malloc'd, NULL if absent or not a string. */
static inline char *mx_string(const char *obj, const char *key) {
  json_t *v = mx_member(obj, key);
  char *out = NULL;
  if (json_is_string(v)) {
    size_t n = json_string_length(v);
    out = malloc(n + 1);
    if (out) { memcpy(out, json_string_value(v), n); out[n] = 0; }
  }
  json_decref(v);
  return out;
}

/* A member as compact JSON text (malloc'd), or NULL if absent. */
static inline char *mx_raw(const char *obj, const char *key) {
  json_t *v = mx_member(obj, key);
  char *out = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
  json_decref(v);
  return out;
}

/* A JSON number member as long long (a fraction is truncated); `fallback` if absent or not a number. */
static inline long long mx_int(const char *obj, const char *key, long long fallback) {
  json_t *v = mx_member(obj, key);
  long long out = json_is_integer(v) ? (long long)json_integer_value(v)
                  : json_is_real(v) ? (long long)json_real_value(v) : fallback;
  json_decref(v);
  return out;
}

/* 1 if the member is `true`. */
static inline int mx_bool(const char *obj, const char *key) {
  json_t *v = mx_member(obj, key);
  int out = json_is_true(v);
  json_decref(v);
  return out;
}

/* ---- writing ---------------------------------------------------------- */

typedef struct { char *data; size_t len, cap; int failed; } mx_buf;

static inline void mx_put(mx_buf *b, const char *s, size_t n) {
  if (b->failed) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) { b->failed = 1; return; }
    b->data = d;
    b->cap = cap;
  }
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

static inline void mx_raw_out(mx_buf *b, const char *s) { mx_put(b, s, strlen(s)); }

static inline void mx_fmt(mx_buf *b, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) mx_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static inline void mx_str(mx_buf *b, const char *s) {
  mx_put(b, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': mx_put(b, "\\\"", 2); break;
      case '\\': mx_put(b, "\\\\", 2); break;
      case '\n': mx_put(b, "\\n", 2); break;
      case '\r': mx_put(b, "\\r", 2); break;
      case '\t': mx_put(b, "\\t", 2); break;
      default:
        if (*p < 0x20) mx_fmt(b, "\\u%04x", *p);
        else mx_put(b, (const char *)p, 1);
    }
  }
  mx_put(b, "\"", 1);
}

static inline void mx_string_release(mcpk_string *s) {
  free(s->data);
  s->data = NULL;
  s->length = 0;
}

static inline void mx_error_release(mcpk_error *e) {
  free(e->message);
  e->message = NULL;
}

/* strdup without POSIX feature macros (plugins build as strict C99). */
static inline char *mx_strdup(const char *s) {
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

static inline mcpk_status mx_fail(mcpk_error *err, mcpk_status st, const char *msg) {
  if (err) {
    err->message = mx_strdup(msg);
    err->release = mx_error_release;
  }
  return st;
}

/* Hands the buffer to the host as the spec. */
static inline mcpk_status mx_finish_spec(mx_buf *b, mcpk_string *out, mcpk_error *err) {
  if (b->failed || !b->data) { free(b->data); return mx_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory"); }
  out->data = b->data;
  out->length = b->len;
  out->private_data = NULL;
  out->release = mx_string_release;
  return MCPK_STATUS_OK;
}

/* The members every process step shares: limits, network, declared connections. */
static inline void mx_common(mx_buf *b, const char *config, int network_default) {
  mx_fmt(b, ",\"network\":%s", (mx_bool(config, "network") || network_default) ? "true" : "false");
  long long t = mx_int(config, "timeoutSeconds", -1);
  if (t > 0) mx_fmt(b, ",\"timeout_ms\":%lld", t * 1000);
  long long m = mx_int(config, "memoryMb", -1);
  if (m > 0) mx_fmt(b, ",\"memory_mb\":%lld", m);
  long long c = mx_int(config, "cpuSeconds", -1);
  if (c > 0) mx_fmt(b, ",\"cpu_seconds\":%lld", c);
  char *conns = mx_raw(config, "connections");
  if (conns && conns[0] == '[') { mx_raw_out(b, ",\"connections\":"); mx_raw_out(b, conns); }
  free(conns);
}

/* Marks a function that a plugin's own source files share (declared in the plugin's
 * headers, e.g. Plugins/llm/llm_stream.h): linked across its files, not exported from
 * its shared library, whose one exported symbol stays mcpk_plugin_init. */
#if defined(__GNUC__) || defined(__clang__)
#define MX_INTERNAL __attribute__((visibility("hidden")))
#else
#define MX_INTERNAL
#endif

/* Standard init for an executor handling `TYPES`, declared with their schemas in
 * `TYPE_DEFS` (mcpk_component_type, ABI 1.2.0: <plugin>_type.h): `PLAN` turns a step
 * into a process spec (NULL if the executor only invokes), `INVOKE` runs it
 * in-process (NULL if it only plans). The plugin speaks ABI 1.0.0 up to
 * `ABI` and answers the newest of those not above what the host offers. */
#define MX_DEFINE_EXECUTOR(NAME, DESCRIPTION, TYPES, TYPE_DEFS, PLAN, INVOKE, ABI)                  \
  static const mcpk_executor mx_executor = {                                                        \
      sizeof(mcpk_executor), TYPES, sizeof(TYPES) / sizeof(TYPES[0]), PLAN, NULL, INVOKE,           \
      TYPE_DEFS, sizeof(TYPE_DEFS) / sizeof(TYPE_DEFS[0])};                                         \
  MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out, \
                                           size_t out_size, mcpk_error *err) {                      \
    (void)host;                                                                                     \
    if (host_abi < MCPK_ABI_VERSION_1_0_0)                                                          \
      return mx_fail(err, MCPK_STATUS_NOT_IMPLEMENTED, "needs ABI 1.0.0 or newer");                 \
    if (out_size < sizeof(mcpk_plugin)) return mx_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "plugin table too small"); \
    memset(out, 0, sizeof(mcpk_plugin));                                                            \
    out->struct_size = sizeof(mcpk_plugin);                                                         \
    out->abi_version = host_abi < (ABI) ? host_abi : (ABI);                                         \
    out->name = NAME;                                                                               \
    out->version = "1.0.0";                                                                         \
    out->description = DESCRIPTION;                                                                 \
    out->kinds = MCPK_KIND_EXECUTOR;                                                                \
    out->executor = &mx_executor;                                                                   \
    return MCPK_STATUS_OK;                                                                          \
  }

/* A process executor (plan only) at ABI 1.2.0 (an older host gets 1.0.0 / 1.1.0: it runs the
 * steps of the names in TYPES, without the declarations). */
#define MX_DEFINE_PLUGIN(NAME, DESCRIPTION, TYPES, TYPE_DEFS, PLAN) \
  MX_DEFINE_EXECUTOR(NAME, DESCRIPTION, TYPES, TYPE_DEFS, PLAN, NULL, MCPK_ABI_VERSION_1_2_0)

#endif
