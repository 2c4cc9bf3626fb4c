/* ABI 1.2.0 component type declarations (mcpk_executor.type_defs). Built twice:
 *  default: declares "Probe Type" (sandbox) with a schema; loads, and a 1.1.0 host view
 *           would see only component_types.
 *  -DBROKEN: every declaration problem at once: a schema the kernel cannot compile,
 *           an in-process type without invoke, an unknown execution, a duplicate name.
 *  -DFLAGS: ABI 1.3.0 flags: MCPK_TYPE_NO_WORK_DIR on a sandboxed type and unknown bits
 *           (refused); with -DFLAGS_AT=MCPK_ABI_VERSION_1_2_0 the same table loads, its
 *           flags ignored (the member was padding before 1.3.0). */
#include "mcpk/plugin.h"
static mcpk_status plan(void *pd, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)pd; (void)step; (void)err;
  out->data = (char *)"{\"argv\":[\"/bin/true\"]}";
  out->length = 21;
  return MCPK_STATUS_OK;
}
static const char *const secrets[] = {"token"};
#ifdef BROKEN
static const mcpk_component_type defs[] = {
    {sizeof(mcpk_component_type), "Probe Type", NULL, "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"strin\"}}}", NULL, 0,
     MCPK_EXECUTION_SANDBOX},
    {sizeof(mcpk_component_type), "Probe Inline", NULL, "{\"type\":\"object\"}", NULL, 0, MCPK_EXECUTION_IN_PROCESS},
    {sizeof(mcpk_component_type), "Probe Odd", NULL, "{\"type\":\"object\"}", NULL, 0, 7},
    {sizeof(mcpk_component_type), "Probe Inline", NULL, "not json", NULL, 0, MCPK_EXECUTION_SANDBOX},
};
#define NAME "badtypes"
#elif defined(FLAGS)
static mcpk_status invoke(void *pd, const mcpk_step *step, const mcpk_invocation *inv, mcpk_string *out, mcpk_error *err) {
  (void)pd; (void)step; (void)inv; (void)err;
  out->data = (char *)"{}";
  out->length = 2;
  return MCPK_STATUS_OK;
}
static const mcpk_component_type defs[] = {
    {sizeof(mcpk_component_type), "Flag Sandbox", NULL, "{\"type\":\"object\"}", NULL, 0, MCPK_EXECUTION_SANDBOX, MCPK_TYPE_NO_WORK_DIR},
    {sizeof(mcpk_component_type), "Flag Odd", NULL, "{\"type\":\"object\"}", NULL, 0, MCPK_EXECUTION_IN_PROCESS, 6},
    {sizeof(mcpk_component_type), "Flag Inline", NULL, "{\"type\":\"object\"}", NULL, 0, MCPK_EXECUTION_IN_PROCESS, MCPK_TYPE_NO_WORK_DIR},
};
#define NAME "flagtypes"
#ifndef FLAGS_AT
#define FLAGS_AT MCPK_ABI_VERSION_1_3_0
#endif
#define ABI FLAGS_AT
#else
static const mcpk_component_type defs[] = {
    {sizeof(mcpk_component_type), "Probe Type", "a probe",
     "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"default\":3,\"title\":\"N\"}},\"additionalProperties\":false}",
     secrets, 1, MCPK_EXECUTION_SANDBOX},
};
#define NAME "typedefs"
#endif
#ifndef ABI
#define ABI MCPK_ABI_VERSION_1_2_0
#endif
#ifdef FLAGS
#define INVOKE invoke
#else
#define INVOKE NULL
#endif
static const mcpk_executor executor = {
    .struct_size = sizeof(mcpk_executor), .plan = plan, .invoke = INVOKE,
    .type_defs = defs, .type_def_count = sizeof defs / sizeof defs[0],
};
MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host; (void)out_size; (void)err;
  if (host_abi < ABI) return MCPK_STATUS_NOT_IMPLEMENTED;
  out->abi_version = ABI;
  out->struct_size = sizeof(mcpk_plugin);
  out->name = NAME;
  out->version = "1.0.0";
  out->kinds = MCPK_KIND_EXECUTOR;
  out->executor = &executor;
  return MCPK_STATUS_OK;
}
