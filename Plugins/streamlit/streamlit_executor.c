/* Streamlit App executor: a service step. The app is `codeContent`, or
 * `mainScriptPath` (default app.py) of the repository `gitRepoUrl` (+ `gitRef`),
 * which the kernel clones into its cache outside the step and binds read-only
 * (spec member `source`; placeholder `{entry}`). The kernel picks a free port
 * ({port}), waits for /_stcore/health, reports {url} and keeps it up until the
 * run is cancelled or `ttlSeconds` ends. */
#include "mcpk_executor_support.h"
#include "streamlit_type.h"

static const char *const types[] = {"Streamlit App"};

static mcpk_status plan(void *data, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)data;
  /* All malloc'd here, freed before return. */
  char *code = mx_string(step->config_json, "codeContent");
  char *repo = mx_string(step->config_json, "gitRepoUrl");
  int from_git = repo && *repo && !(code && *code);
  if (!from_git && (!code || !*code)) {
    free(code); free(repo);
    return mx_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "codeContent: a Streamlit App needs code or gitRepoUrl");
  }
  mx_buf b = {0};
  mx_raw_out(&b, "{\"argv\":[\"{python}\",\"-m\",\"streamlit\",\"run\",");
  mx_raw_out(&b, from_git ? "\"{entry}\"" : "\"{work}/app.py\"");
  mx_raw_out(&b, ",\"--server.port\",\"{port}\","
                 "\"--server.address\",\"127.0.0.1\",\"--server.headless\",\"true\",\"--browser.gatherUsageStats\",\"false\","
                 "\"--server.fileWatcherType\",\"none\",\"--global.developmentMode\",\"false\"]");
  /* The kernel provisions the step runtime (StepRuntimes) before the step starts. */
  mx_raw_out(&b, ",\"runtime\":\"python\"");
  if (from_git) {
    /* The kernel clones (cached), resolves `entry` inside the checkout (no escapes) and runs the app from there. */
    char *ref = mx_string(step->config_json, "gitRef");
    char *entry = mx_string(step->config_json, "mainScriptPath");
    mx_raw_out(&b, ",\"files\":[],\"source\":{\"git\":");
    mx_str(&b, repo);
    if (ref && *ref) { mx_raw_out(&b, ",\"ref\":"); mx_str(&b, ref); }
    mx_raw_out(&b, ",\"entry\":");
    mx_str(&b, entry && *entry ? entry : "app.py");
    mx_raw_out(&b, "}");
    free(ref); free(entry);
  } else {
    mx_raw_out(&b, ",\"files\":[{\"path\":\"app.py\",\"content\":");
    mx_str(&b, code);
    mx_raw_out(&b, "}]");
  }
  long long port = mx_int(step->config_json, "port", 0);
  mx_fmt(&b, ",\"service\":{\"port\":%lld,\"health_path\":\"/_stcore/health\"},\"address_space_limit\":false",
         port > 0 && port < 65536 ? port : 0);
  long long ttl = mx_int(step->config_json, "ttlSeconds", 3600);
  mx_fmt(&b, ",\"ttl_seconds\":%lld", ttl > 0 ? ttl : 3600);
  char *req = mx_raw(step->config_json, "requirements");
  if (req) { mx_raw_out(&b, ",\"requirements\":"); mx_raw_out(&b, req); free(req); }
  mx_common(&b, step->config_json, 1); /* served on a local port: needs the host network namespace */
  mx_raw_out(&b, "}");
  free(code); free(repo);
  return mx_finish_spec(&b, out, err);
}

MX_DEFINE_PLUGIN("streamlit", "Streamlit App service steps in the sandbox", types, type_defs, plan)
