/* Python Script executor: `codeContent` defines main(**inputs); the runtime
 * runner calls it in the sandbox and sends its value as the result. Placeholders
 * in argv ({python}, {runtime}, {work}) are filled in by the kernel's sandbox. */
#include "mcpk_executor_support.h"
#include "python_type.h"

static const char *const types[] = {"Python Script"};

static mcpk_status plan(void *data, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)data;
  char *code = mx_string(step->config_json, "codeContent");
  if (!code || !*code) { free(code); return mx_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "codeContent: a Python Script needs code defining main(**inputs)"); }
  mx_buf b = {0};
  mx_raw_out(&b, "{\"argv\":[\"{python}\",\"-B\",\"{runtime}/python/mcpk_runner.py\",\"script\",\"{work}/main.py\"]");
  mx_raw_out(&b, ",\"files\":[{\"path\":\"main.py\",\"content\":");
  mx_str(&b, code);
  mx_raw_out(&b, "}]");
  /* The same plan for every attempt of this component version: the kernel may run it
   * as a fresh fork of a warm runner (RunnerPool) instead of a cold spawn. */
  mx_raw_out(&b, ",\"warm\":true");
  char *req = mx_raw(step->config_json, "requirements");
  if (req) { mx_raw_out(&b, ",\"requirements\":"); mx_raw_out(&b, req); free(req); }
  /* The component's declared environment variables (string values). */
  char *env = mx_raw(step->config_json, "environment");
  if (env && env[0] == '{') { mx_raw_out(&b, ",\"env\":"); mx_raw_out(&b, env); }
  free(env);
  mx_common(&b, step->config_json, 0);
  mx_raw_out(&b, "}");
  free(code);
  return mx_finish_spec(&b, out, err);
}

MX_DEFINE_PLUGIN("python", "Python Script steps in the sandbox (main(**inputs))", types, type_defs, plan)
