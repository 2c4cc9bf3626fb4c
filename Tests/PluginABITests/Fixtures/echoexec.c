/* An executor plugin: plans `echo` processes for the "Utility" type. */
#include "mcpk/plugin.h"
#include <stdio.h>
#include <string.h>

static const mcpk_host *host;
static const char *types[] = {"Utility"};

static void release_host(mcpk_string *s) { host->free(s->data); }

static mcpk_status plan(void *pd, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)pd; (void)err;
  char buf[512];
  int n = snprintf(buf, sizeof buf, "{\"argv\":[\"/bin/echo\",\"%s\"],\"env\":{},\"network\":false}", step->step_id);
  out->data = host->alloc((size_t)n + 1);
  memcpy(out->data, buf, (size_t)n + 1);
  out->length = (size_t)n;
  out->release = release_host;
  return MCPK_STATUS_OK;
}

static const mcpk_executor executor = {sizeof(mcpk_executor), types, 1, plan, NULL, NULL};

MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *h, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)out_size; (void)err;
  if (host_abi != MCPK_ABI_VERSION_1_0_0) return MCPK_STATUS_NOT_IMPLEMENTED;
  host = h;
  out->struct_size = sizeof(mcpk_plugin);
  out->abi_version = host_abi;
  out->name = "echoexec";
  out->version = "0.1";
  out->kinds = MCPK_KIND_EXECUTOR;
  out->executor = &executor;
  return MCPK_STATUS_OK;
}
