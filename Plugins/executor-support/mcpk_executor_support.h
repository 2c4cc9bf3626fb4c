/* Shared helpers of the bundled process executors (header-only, static):
 * a minimal reader for top-level members of the component config (JSON
 * object text) and a JSON writer for the process spec. No kernel symbols. */
#ifndef MCPK_EXECUTOR_SUPPORT_H
#define MCPK_EXECUTOR_SUPPORT_H

#include <mcpk/plugin.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- reading ---------------------------------------------------------- */

static inline const char *mx_ws(const char *p) {
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
  return p;
}

/* Skips one JSON value; returns the position after it, or NULL if malformed. */
static inline const char *mx_skip(const char *p) {
  p = mx_ws(p);
  if (*p == '"') {
    for (p++; *p && *p != '"'; p++)
      if (*p == '\\' && p[1]) p++;
    return *p == '"' ? p + 1 : NULL;
  }
  if (*p == '{' || *p == '[') {
    char close = *p == '{' ? '}' : ']';
    p = mx_ws(p + 1);
    if (*p == close) return p + 1;
    for (;;) {
      if (close == '}') {
        p = mx_skip(p);
        if (!p) return NULL;
        p = mx_ws(p);
        if (*p != ':') return NULL;
        p++;
      }
      p = mx_skip(p);
      if (!p) return NULL;
      p = mx_ws(p);
      if (*p == ',') { p = mx_ws(p + 1); continue; }
      return *p == close ? p + 1 : NULL;
    }
  }
  if (!*p) return NULL;
  while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' && *p != '\t') p++;
  return p;
}

/* Finds top-level member `key` of an object; sets [*start, *end) to its raw value. */
static inline int mx_find(const char *obj, const char *key, const char **start, const char **end) {
  const char *p = mx_ws(obj);
  size_t klen = strlen(key);
  if (*p != '{') return 0;
  p = mx_ws(p + 1);
  while (*p == '"') {
    const char *k = p + 1;
    const char *ke = mx_skip(p);
    if (!ke) return 0;
    int match = (size_t)(ke - 1 - k) == klen && memcmp(k, key, klen) == 0;
    p = mx_ws(ke);
    if (*p != ':') return 0;
    const char *v = mx_ws(p + 1);
    const char *ve = mx_skip(v);
    if (!ve) return 0;
    if (match) { *start = v; *end = ve; return 1; }
    p = mx_ws(ve);
    if (*p != ',') return 0;
    p = mx_ws(p + 1);
  }
  return 0;
}

static inline void mx_utf8(char **o, unsigned cp) {
  if (cp < 0x80) { *(*o)++ = (char)cp; }
  else if (cp < 0x800) { *(*o)++ = (char)(0xC0 | (cp >> 6)); *(*o)++ = (char)(0x80 | (cp & 0x3F)); }
  else if (cp < 0x10000) { *(*o)++ = (char)(0xE0 | (cp >> 12)); *(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *(*o)++ = (char)(0x80 | (cp & 0x3F)); }
  else { *(*o)++ = (char)(0xF0 | (cp >> 18)); *(*o)++ = (char)(0x80 | ((cp >> 12) & 0x3F)); *(*o)++ = (char)(0x80 | ((cp >> 6) & 0x3F)); *(*o)++ = (char)(0x80 | (cp & 0x3F)); }
}

static inline unsigned mx_hex4(const char *p) {
  unsigned v = 0;
  for (int i = 0; i < 4; i++) {
    char c = p[i];
    v <<= 4;
    if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
    else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
    else return 0xFFFFFFFFu;
  }
  return v;
}

/* Decodes a JSON string member; malloc'd, NULL if absent or not a string. */
static inline char *mx_string(const char *obj, const char *key) {
  const char *s, *e;
  if (!mx_find(obj, key, &s, &e) || *s != '"') return NULL;
  char *out = malloc((size_t)(e - s) * 2 + 1), *o = out;
  if (!out) return NULL;
  for (const char *p = s + 1; p < e - 1; p++) {
    if (*p != '\\') { *o++ = *p; continue; }
    p++;
    switch (*p) {
      case 'n': *o++ = '\n'; break;
      case 't': *o++ = '\t'; break;
      case 'r': *o++ = '\r'; break;
      case 'b': *o++ = '\b'; break;
      case 'f': *o++ = '\f'; break;
      case 'u': {
        if (p + 4 >= e) { free(out); return NULL; }
        unsigned cp = mx_hex4(p + 1);
        if (cp == 0xFFFFFFFFu) { free(out); return NULL; }
        p += 4;
        if (cp >= 0xD800 && cp < 0xDC00 && p + 6 < e && p[1] == '\\' && p[2] == 'u') {
          unsigned lo = mx_hex4(p + 3);
          if (lo >= 0xDC00 && lo < 0xE000) { cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00); p += 6; }
        }
        mx_utf8(&o, cp);
        break;
      }
      default: *o++ = *p; break;
    }
  }
  *o = 0;
  return out;
}

/* Raw text of a member (malloc'd), or NULL. */
static inline char *mx_raw(const char *obj, const char *key) {
  const char *s, *e;
  if (!mx_find(obj, key, &s, &e)) return NULL;
  char *out = malloc((size_t)(e - s) + 1);
  if (!out) return NULL;
  memcpy(out, s, (size_t)(e - s));
  out[e - s] = 0;
  return out;
}

/* A JSON number member as long long; `fallback` if absent or not a number. */
static inline long long mx_int(const char *obj, const char *key, long long fallback) {
  const char *s, *e;
  if (!mx_find(obj, key, &s, &e) || !((*s >= '0' && *s <= '9') || *s == '-')) return fallback;
  return strtoll(s, NULL, 10);
}

static inline int mx_bool(const char *obj, const char *key) {
  const char *s, *e;
  return mx_find(obj, key, &s, &e) && e - s == 4 && memcmp(s, "true", 4) == 0;
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

/* A process executor (plan only) at ABI 1.2.0 (an older host sees 1.0.0 / 1.1.0 and its built-in spec). */
#define MX_DEFINE_PLUGIN(NAME, DESCRIPTION, TYPES, TYPE_DEFS, PLAN) \
  MX_DEFINE_EXECUTOR(NAME, DESCRIPTION, TYPES, TYPE_DEFS, PLAN, NULL, MCPK_ABI_VERSION_1_2_0)

#endif
