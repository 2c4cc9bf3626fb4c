/* A plugin declaring an op with an invalid signature. */
#include "mcpk/plugin.h"
static int f(void) { return 1; }
static const mcpk_op ops[] = {{"bad", "q(zz", (mcpk_op_fn)f, 0, 0}};
static mcpk_status o(void *p, const mcpk_connect_args *a, mcpk_connection **c, mcpk_error *e) {
  (void)p; (void)a; (void)c; (void)e; return MCPK_STATUS_NOT_IMPLEMENTED;
}
static void cl(mcpk_connection *c) { (void)c; }
static mcpk_status ex(mcpk_connection *c, const mcpk_query *q, const mcpk_row_sink *s, mcpk_error *e) {
  (void)c; (void)q; (void)s; (void)e; return MCPK_STATUS_NOT_IMPLEMENTED;
}
static const mcpk_connector table = {sizeof(mcpk_connector), o, cl, 0, ex, 0, 0};
MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host; (void)out_size; (void)err;
  out->struct_size = sizeof(mcpk_plugin);
  out->abi_version = host_abi;
  out->name = "badop";
  out->version = "1";
  out->kinds = MCPK_KIND_CONNECTOR;
  out->connector = &table;
  out->ops = ops;
  out->op_count = 1;
  return MCPK_STATUS_OK;
}
