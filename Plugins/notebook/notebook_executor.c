/* Jupyter Notebook executor: `notebookCells` (array of {cell_type|type,
 * source|content, tags?}) or `notebookContent` (an .ipynb document) is run
 * by a real Jupyter kernel through nbclient inside the sandbox. */
#include "mcpk_executor_support.h"

static const char *const types[] = {"Jupyter Notebook"};

static mcpk_status plan(void *data, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)data;
  char *cells = mx_raw(step->config_json, "notebookCells");
  char *doc = mx_raw(step->config_json, "notebookContent");
  if ((!cells || cells[0] != '[') && (!doc || (doc[0] != '{' && doc[0] != '"'))) {
    free(cells); free(doc);
    return mx_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "notebookCells: a Jupyter Notebook needs cells");
  }
  mx_buf b = {0};
  mx_raw_out(&b, "{\"argv\":[\"{python}\",\"-B\",\"{runtime}/python/mcpk_runner.py\",\"notebook\",\"{work}/notebook.json\"]");
  mx_raw_out(&b, ",\"files\":[{\"path\":\"notebook.json\",\"content\":");
  /* The runner gets {"cells": [...]} or {"notebook": ...} as a file. */
  mx_buf inner = {0};
  if (cells && cells[0] == '[') { mx_raw_out(&inner, "{\"cells\":"); mx_raw_out(&inner, cells); }
  else { mx_raw_out(&inner, "{\"notebook\":"); mx_raw_out(&inner, doc); }
  char *params = mx_raw(step->config_json, "parameters");
  if (params && params[0] == '{') { mx_raw_out(&inner, ",\"parameters\":"); mx_raw_out(&inner, params); }
  free(params);
  char *kernel = mx_string(step->config_json, "kernel");
  if (kernel && *kernel) { mx_raw_out(&inner, ",\"kernel\":"); mx_str(&inner, kernel); }
  free(kernel);
  mx_raw_out(&inner, "}");
  mx_str(&b, inner.data ? inner.data : "{}");
  free(inner.data);
  mx_raw_out(&b, "}]");
  char *req = mx_raw(step->config_json, "requirements");
  if (req) { mx_raw_out(&b, ",\"requirements\":"); mx_raw_out(&b, req); free(req); }
  mx_common(&b, step->config_json, 0);
  mx_raw_out(&b, "}");
  free(cells); free(doc);
  return mx_finish_spec(&b, out, err);
}

MX_DEFINE_PLUGIN("notebook", "Jupyter Notebook steps (nbclient + ipykernel) in the sandbox", types, plan)
