/* TypeScript Script executor: `codeContent` exports main(inputs) (sync or
 * async). The kernel transpiles main.ts with esbuild (cached by content hash,
 * spec member "typescript") and node runs the runtime's JS runner. */
#include "mcpk_executor_support.h"
#include "typescript_type.h"

static const char *const types[] = {"TypeScript Script"};

static mcpk_status plan(void *data, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)data;
  char *code = mx_string(step->config_json, "codeContent");
  if (!code || !*code) { free(code); return mx_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "codeContent: a TypeScript Script needs code exporting main(inputs)"); }
  mx_buf b = {0};
  mx_raw_out(&b, "{\"argv\":[\"/usr/bin/node\",\"--max-old-space-size=256\",\"{runtime}/js/mcpk_runner.js\",\"{work}/main.js\"]");
  /* The kernel provisions the step runtime (StepRuntimes) before the step starts. */
  mx_raw_out(&b, ",\"runtime\":\"node\"");
  mx_raw_out(&b, ",\"files\":[{\"path\":\"main.ts\",\"content\":");
  mx_str(&b, code);
  mx_raw_out(&b, "}],\"typescript\":{\"source\":\"main.ts\",\"output\":\"main.js\"},\"address_space_limit\":false");
  /* A warm runner execs a fresh node per attempt (node cannot fork): the sandbox chain is saved. */
  mx_raw_out(&b, ",\"warm\":true");
  mx_common(&b, step->config_json, 0);
  mx_raw_out(&b, "}");
  free(code);
  return mx_finish_spec(&b, out, err);
}

MX_DEFINE_PLUGIN("typescript", "TypeScript Script steps (esbuild + node) in the sandbox", types, type_defs, plan)
