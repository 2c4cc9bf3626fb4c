/* A plugin whose init fails with a message. */
#define _POSIX_C_SOURCE 200809L
#include "mcpk/plugin.h"
#include <stdlib.h>
#include <string.h>
static void rel(mcpk_error *e) { free(e->message); }
MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host_abi; (void)host; (void)out; (void)out_size;
  err->message = strdup("license file /nonexistent/license.key not found");
  err->release = rel;
  return MCPK_STATUS_IO;
}
