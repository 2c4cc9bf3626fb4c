/* Jupyter Notebook executor: `notebookCells` (array of {cell_type|type,
 * source|content, tags?}), `notebookContent` (an .ipynb document) or
 * `notebookPathRef` (an .ipynb under the kernel's notebook root, which the
 * kernel reads and validates: spec member `notebook_ref`) is run by a real
 * Jupyter kernel through nbclient inside the sandbox. */
#include "mcpk_executor_support.h"
#include "notebook_type.h"

static const char *const types[] = {"Jupyter Notebook"};

/* Work-dir file the kernel writes a `notebookPathRef` notebook to. */
#define NOTEBOOK_REF_FILE "source.ipynb"

static mcpk_status plan(void *data, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)data;
  /* All malloc'd here, freed before return. */
  char *cells = mx_raw(step->config_json, "notebookCells");
  char *doc = mx_raw(step->config_json, "notebookContent");
  char *ref = mx_string(step->config_json, "notebookPathRef");
  int has_cells = cells && cells[0] == '[';
  int has_doc = doc && (doc[0] == '{' || doc[0] == '"');
  int has_ref = ref && *ref;
  if (!has_cells && !has_doc && !has_ref) {
    free(cells); free(doc); free(ref);
    return mx_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "notebookCells: a Jupyter Notebook needs cells or notebookPathRef");
  }
  mx_buf b = {0};
  mx_raw_out(&b, "{\"argv\":[\"{python}\",\"-B\",\"{runtime}/python/mcpk_runner.py\",\"notebook\",\"{work}/notebook.json\"]");
  /* The kernel provisions the step runtime (StepRuntimes) before the step starts. */
  mx_raw_out(&b, ",\"runtime\":\"python\"");
  mx_raw_out(&b, ",\"files\":[{\"path\":\"notebook.json\",\"content\":");
  /* The runner gets {"cells": [...]}, {"notebook": ...} or {"notebook_file": ...} as a file. */
  mx_buf inner = {0};
  if (has_cells) { mx_raw_out(&inner, "{\"cells\":"); mx_raw_out(&inner, cells); }
  else if (has_doc) { mx_raw_out(&inner, "{\"notebook\":"); mx_raw_out(&inner, doc); }
  else {
    /* `name`: the referenced file's name, so the executed notebook is `<name>.ipynb`. */
    const char *base = strrchr(ref, '/');
    mx_raw_out(&inner, "{\"notebook_file\":\"" NOTEBOOK_REF_FILE "\",\"name\":");
    mx_str(&inner, base ? base + 1 : ref);
  }
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
  /* Warm runners keep nbclient/jupyter_client imported; every attempt (a fresh fork)
   * still starts its own Jupyter kernel, so no notebook state passes between steps. */
  mx_raw_out(&b, ",\"warm\":true");
  if (!has_cells && !has_doc) {
    /* The kernel resolves the path under its notebook root and writes the notebook as `file`. */
    mx_raw_out(&b, ",\"notebook_ref\":{\"path\":");
    mx_str(&b, ref);
    mx_raw_out(&b, ",\"file\":\"" NOTEBOOK_REF_FILE "\"}");
  }
  char *req = mx_raw(step->config_json, "requirements");
  if (req) { mx_raw_out(&b, ",\"requirements\":"); mx_raw_out(&b, req); free(req); }
  mx_common(&b, step->config_json, 0);
  mx_raw_out(&b, "}");
  free(cells); free(doc); free(ref);
  return mx_finish_spec(&b, out, err);
}

MX_DEFINE_PLUGIN("notebook", "Jupyter Notebook steps (nbclient + ipykernel) in the sandbox", types, type_defs, plan)
