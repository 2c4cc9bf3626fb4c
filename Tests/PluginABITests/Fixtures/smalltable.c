/* A connector whose table is too small for ABI 1.0.0 (an old, truncated struct). */
#include "mcpk/plugin.h"
static mcpk_status o(void *p, const mcpk_connect_args *a, mcpk_connection **c, mcpk_error *e) {
  (void)p; (void)a; (void)c; (void)e; return MCPK_STATUS_NOT_IMPLEMENTED;
}
static mcpk_connector table = {0, o, 0, 0, 0, 0, 0};
MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host; (void)out_size; (void)err;
  table.struct_size = offsetof(mcpk_connector, execute); /* stops before execute */
  out->struct_size = sizeof(mcpk_plugin);
  out->abi_version = host_abi;
  out->name = "smalltable";
  out->version = "1";
  out->kinds = MCPK_KIND_CONNECTOR;
  out->connector = &table;
  return MCPK_STATUS_OK;
}
