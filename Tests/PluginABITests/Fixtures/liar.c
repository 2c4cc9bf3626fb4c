/* A plugin that accepts the ABI but claims another one in its table. */
#include "mcpk/plugin.h"
MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host_abi; (void)host; (void)out_size; (void)err;
  out->struct_size = sizeof(mcpk_plugin);
  out->abi_version = 2000000u;
  out->name = "liar";
  out->version = "1";
  out->kinds = MCPK_KIND_CONNECTOR;
  return MCPK_STATUS_OK;
}
