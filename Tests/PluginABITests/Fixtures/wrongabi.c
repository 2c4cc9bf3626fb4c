/* A plugin that only speaks a future ABI: answers NOT_IMPLEMENTED to everything offered. */
#include "mcpk/plugin.h"
MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host; (void)out; (void)out_size; (void)err;
  if (host_abi != 7000000u) return MCPK_STATUS_NOT_IMPLEMENTED;
  return MCPK_STATUS_OK;
}
