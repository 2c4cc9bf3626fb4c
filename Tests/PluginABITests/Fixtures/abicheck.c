/* ABI negotiation probe. Built twice:
 *  -DOVERCLAIM: refuses 1.2.0 and 1.1.0, then answers 1.0.0 but claims 1.1.0 (must be refused).
 *  default:     answers OK to 1.1.0 but fills 1.0.0 (runs as 1.0.0). */
#include "mcpk/plugin.h"
static const char *types[] = {"Utility"};
static mcpk_status plan(void *pd, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)pd; (void)step; (void)err;
  out->data = (char *)"{\"argv\":[\"/bin/true\"]}";
  out->length = 21;
  return MCPK_STATUS_OK;
}
static const mcpk_executor executor = {sizeof(mcpk_executor), types, 1, plan, NULL, NULL};
MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host; (void)out_size; (void)err;
#ifdef OVERCLAIM
  if (host_abi >= MCPK_ABI_VERSION_1_1_0) return MCPK_STATUS_NOT_IMPLEMENTED;
  out->abi_version = MCPK_ABI_VERSION_1_1_0;
  out->name = "overclaim";
#else
  (void)host_abi;
  out->abi_version = MCPK_ABI_VERSION_1_0_0;
  out->name = "olderabi";
#endif
  out->struct_size = sizeof(mcpk_plugin);
  out->version = "1.0.0";
  out->kinds = MCPK_KIND_EXECUTOR;
  out->executor = &executor;
  return MCPK_STATUS_OK;
}
