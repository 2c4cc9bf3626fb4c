/* MCP executor: starts the server from `mcpConfiguration` ({command, args,
 * env} or {"mcpServers": {name: {...}}}) over stdio inside the sandbox,
 * performs the initialize handshake, lists tools and calls `tool` with the
 * step inputs (the official `mcp` Python SDK client in the runtime). */
#include "mcpk_executor_support.h"
#include "mcp_type.h"

static const char *const types[] = {"MCP"};

static mcpk_status plan(void *data, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)data;
  /* mcpConfiguration: an object, or (the console's form) a string holding JSON or YAML. */
  char *server = mx_raw(step->config_json, "mcpConfiguration");
  char *tool = mx_string(step->config_json, "tool");
  char *defaults = mx_raw(step->config_json, "arguments");
  if (!server || (server[0] != '{' && server[0] != '"')) {
    free(defaults); free(server); free(tool); return mx_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "mcpConfiguration: an MCP component needs a server configuration object"); }
  if (!tool || !*tool) { free(server); free(tool); free(defaults); return mx_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "tool: an MCP component needs the tool to call"); }
  mx_buf inner = {0};
  mx_raw_out(&inner, "{\"server\":");
  mx_raw_out(&inner, server);
  mx_raw_out(&inner, ",\"tool\":");
  mx_str(&inner, tool);
  if (defaults && defaults[0] == '{') { mx_raw_out(&inner, ",\"arguments\":"); mx_raw_out(&inner, defaults); }
  mx_raw_out(&inner, "}");
  mx_buf b = {0};
  mx_raw_out(&b, "{\"argv\":[\"{python}\",\"-B\",\"{runtime}/python/mcpk_runner.py\",\"mcp\",\"{work}/mcp.json\"]");
  /* The kernel provisions the step runtime (StepRuntimes) before the step starts. */
  mx_raw_out(&b, ",\"runtime\":\"python\"");
  mx_raw_out(&b, ",\"files\":[{\"path\":\"mcp.json\",\"content\":");
  mx_str(&b, inner.data ? inner.data : "{}");
  mx_raw_out(&b, "}]");
  free(inner.data);
  char *req = mx_raw(step->config_json, "requirements");
  if (req) { mx_raw_out(&b, ",\"requirements\":"); mx_raw_out(&b, req); free(req); }
  mx_common(&b, step->config_json, 0);
  mx_raw_out(&b, "}");
  free(server); free(tool); free(defaults);
  return mx_finish_spec(&b, out, err);
}

MX_DEFINE_PLUGIN("mcp", "MCP tool-call steps (stdio server, initialize, tools/call) in the sandbox", types, type_defs, plan)
