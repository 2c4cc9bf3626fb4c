/* Shared helpers of the bundled plugins that need no JSON library: the connectors
 * (postgres, sqlite, adbc: each links only its database library) and what the
 * executors share with them (the monotonic clock). Header-only and static, libc and
 * include/mcpk/plugin.h only; no kernel symbols. The jansson-based executor helpers
 * are in Plugins/executor-support.
 *
 *  - mp_now_ms: the monotonic clock in milliseconds (timeouts, deadlines).
 *  - mp_put_string: a malloc'd copy handed to the host as an mcpk_string.
 *  - mp_error_release: the release of a malloc'd mcpk_error message.
 *  - mp_option: a connect option by key.
 *  - mp_describe_connector: the plugin table of a connector.
 *
 * Uses clock_gettime (POSIX): under a strict ISO C mode, define _POSIX_C_SOURCE
 * (199309L or later) before the first include. */
#ifndef MCPK_PLUGIN_SUPPORT_H
#define MCPK_PLUGIN_SUPPORT_H

#include <mcpk/plugin.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC (not wall time: deadlines survive clock changes). */
static inline int64_t mp_now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The release of a string made by mp_put_string. */
static inline void mp_string_release(mcpk_string *s) {
  free(s->data);
  s->data = NULL;
}

/* Hands a NUL-terminated malloc'd copy of `len` bytes of `text` to the host in `out`;
 * out->data stays NULL when memory runs out (the caller answers NO_MEMORY). */
static inline void mp_put_string(mcpk_string *out, const char *text, size_t len) {
  out->data = malloc(len + 1);
  if (!out->data) return;
  memcpy(out->data, text, len);
  out->data[len] = 0;
  out->length = len;
  out->release = mp_string_release;
}

/* The release of an mcpk_error whose message is malloc'd. */
static inline void mp_error_release(mcpk_error *e) {
  free(e->message);
  e->message = NULL;
}

/* The connect option `key` (the connection's config member as text), or NULL. */
static inline const char *mp_option(const mcpk_connect_args *a, const char *key) {
  for (size_t i = 0; i < a->option_count; i++)
    if (strcmp(a->option_keys[i], key) == 0) return a->option_values[i];
  return NULL;
}

/* Fills the plugin table of a connector at ABI `abi` (version 1.0.0 of the plugin). */
static inline void mp_describe_connector(mcpk_plugin *out, uint32_t abi, const char *name, const char *description,
                                         const char *config_schema_json, const mcpk_connector *connector) {
  out->struct_size = sizeof(mcpk_plugin);
  out->abi_version = abi;
  out->name = name;
  out->version = "1.0.0";
  out->description = description;
  out->kinds = MCPK_KIND_CONNECTOR;
  out->config_schema_json = config_schema_json;
  out->connector = connector;
}

#endif
