/* Utility executor: in-process (`invoke`) operations on the step inputs.
 *
 *  - merge: a shallow merge of the inputs in order (an object input
 *    contributes its members, any other input itself under its name).
 *  - pick: `keys` (or `paths`) as an array of names / dotted paths
 *    (`a.b.0`, `a.b[0]`; the result key is the last segment) or an object
 *    result name -> path.
 *  - template: `template` rendered with `${inputs.x}` references -> {text}.
 *  - plugin: `pluginOperation` of plugin `plugin` through
 *    mcpk_invocation.call_op (libffi in the host, arity and types checked
 *    there). Arguments: `args` rendered against the inputs (array ->
 *    positional, object -> its values in order); without `args`, the
 *    inputs' `args` member when it is an array, else the inputs' values in
 *    order. The operation's JSON value is the step result.
 *
 * Ownership: config/inputs are parsed into jansson values owned here and
 * released before returning; the result string is malloc'd and released by
 * the host through mx_string_release; the host's call_op string is released
 * here through its own `release`. */
#include "mcpk_invoke_support.h"
#include "utility_type.h"

static const char *const types[] = {"Utility"};

/* Longest pick path accepted. */
#define UT_MAX_PATH 1024

/* ---- merge ------------------------------------------------------------ */

static json_t *ut_merge(json_t *inputs) {
  json_t *out = json_object();
  const char *k;
  json_t *v;
  if (!out) return NULL;
  json_object_foreach(inputs, k, v) {
    if (json_is_object(v)) json_object_update(out, v);
    else json_object_set(out, k, v);
  }
  return out;
}

/* ---- pick ------------------------------------------------------------- */

/* Walks `path` (dot-separated names; `[n]` or a numeric segment indexes an
 * array) through `root`. Returns a borrowed value or NULL with `msg`. */
static json_t *ut_walk(json_t *root, const char *path, char *msg, size_t msglen) {
  size_t n = strlen(path);
  if (n == 0 || n > UT_MAX_PATH) {
    snprintf(msg, msglen, "utility 'pick': path '%.200s' must have 1 to %d characters", path, UT_MAX_PATH);
    return NULL;
  }
  json_t *cur = root;
  char seg[UT_MAX_PATH + 1];
  size_t p = 0;
  size_t done = 0; /* length of the path walked so far, for messages */
  while (p <= n) {
    size_t s = p;
    while (p < n && path[p] != '.' && path[p] != '[') p++;
    size_t len = p - s;
    memcpy(seg, path + s, len);
    seg[len] = 0;
    if (len > 0) {
      json_t *next = NULL;
      if (json_is_object(cur)) next = json_object_get(cur, seg);
      else if (json_is_array(cur)) {
        char *end;
        long i = strtol(seg, &end, 10);
        if (!*end && i >= 0) next = json_array_get(cur, (size_t)i);
      }
      if (!next) {
        if (done == 0) snprintf(msg, msglen, "utility 'pick': no value at '%s' (the inputs have no '%s')", path, seg);
        else snprintf(msg, msglen, "utility 'pick': no value at '%s' (no '%s' in '%.*s')", path, seg, (int)done, path);
        return NULL;
      }
      cur = next;
    } else if (p < n && path[p] == '.') {
      snprintf(msg, msglen, "utility 'pick': path '%s' has an empty segment", path);
      return NULL;
    }
    done = p;
    while (p < n && path[p] == '[') { /* [n] indexes */
      size_t q = p + 1;
      while (q < n && path[q] >= '0' && path[q] <= '9') q++;
      if (q == p + 1 || q >= n || path[q] != ']') {
        snprintf(msg, msglen, "utility 'pick': path '%s': expected an index like [0] at character %zu", path, p + 1);
        return NULL;
      }
      long i = strtol(path + p + 1, NULL, 10);
      json_t *next = json_is_array(cur) ? json_array_get(cur, (size_t)i) : NULL;
      if (!next) {
        snprintf(msg, msglen, "utility 'pick': no value at '%s' (no index %ld in '%.*s')", path, i, (int)done, path);
        return NULL;
      }
      cur = next;
      p = q + 1;
      done = p;
    }
    if (p >= n) break;
    if (path[p] != '.') {
      snprintf(msg, msglen, "utility 'pick': path '%s': unexpected '%c' at character %zu", path, path[p], p + 1);
      return NULL;
    }
    p++;
    if (p >= n) {
      snprintf(msg, msglen, "utility 'pick': path '%s' ends with '.'", path);
      return NULL;
    }
  }
  return cur;
}

/* The result key of a path given in the array form: its last segment. */
static const char *ut_last_segment(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot ? dot + 1 : path;
}

static mcpk_status ut_pick(json_t *config, json_t *inputs, json_t **out, mcpk_error *err) {
  json_t *keys = json_object_get(config, "keys");
  if (!keys || json_is_null(keys)) keys = json_object_get(config, "paths");
  char msg[MI_MAX_MESSAGE];
  json_t *res = json_object();
  if (!res) return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  if (json_is_array(keys) && json_array_size(keys) > 0) {
    size_t i;
    json_t *k;
    json_array_foreach(keys, i, k) {
      if (!json_is_string(k)) {
        json_decref(res);
        return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "utility 'pick': keys[%zu] is not a string", i);
      }
      json_t *v = ut_walk(inputs, json_string_value(k), msg, sizeof msg);
      if (!v) { json_decref(res); return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "%s", msg); }
      json_object_set(res, ut_last_segment(json_string_value(k)), v);
    }
  } else if (json_is_object(keys) && json_object_size(keys) > 0) {
    const char *name;
    json_t *k;
    json_object_foreach(keys, name, k) {
      if (!json_is_string(k)) {
        json_decref(res);
        return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "utility 'pick': keys.%s is not a path string", name);
      }
      json_t *v = ut_walk(inputs, json_string_value(k), msg, sizeof msg);
      if (!v) { json_decref(res); return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "%s", msg); }
      json_object_set(res, name, v);
    }
  } else {
    json_decref(res);
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT,
                   "utility 'pick' needs 'keys': a non-empty array of names/paths or an object name -> path");
  }
  *out = res;
  return MCPK_STATUS_OK;
}

/* ---- template --------------------------------------------------------- */

static mcpk_status ut_template(json_t *config, json_t *inputs, json_t **out, mcpk_error *err) {
  (void)inputs;
  /* The engine resolved its `${inputs…}` references (x-mcpk-template): a text, or the value of a
   * template that is one reference. */
  json_t *v = json_incref(json_object_get(config, "template"));
  if (!v || json_is_null(v)) return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "utility 'template' needs a 'template' string");
  json_t *text;
  if (json_is_string(v)) text = json_incref(v);
  else {
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    text = s ? json_string(s) : NULL;
    free(s);
  }
  json_decref(v);
  if (!text) return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  *out = json_object();
  json_object_set_new(*out, "text", text);
  return MCPK_STATUS_OK;
}

/* ---- plugin ----------------------------------------------------------- */

/* Positional arguments (a new array) from the config's `args` or the inputs. */
static mcpk_status ut_arguments(json_t *config, json_t *inputs, json_t **out, mcpk_error *err) {
  json_t *args = json_object_get(config, "args");
  int configured = args && !json_is_null(args) && !(json_is_object(args) && json_object_size(args) == 0);
  json_t *values;
  if (configured) {
    values = json_incref(args); /* references resolved by the engine (x-mcpk-template) */
  } else if (json_is_array(json_object_get(inputs, "args"))) {
    values = json_incref(json_object_get(inputs, "args"));
  } else {
    values = json_incref(inputs);
  }
  if (json_is_array(values)) { *out = values; return MCPK_STATUS_OK; }
  if (json_is_object(values)) {
    json_t *arr = json_array();
    const char *k;
    json_t *v;
    json_object_foreach(values, k, v) json_array_append(arr, v);
    json_decref(values);
    *out = arr;
    return MCPK_STATUS_OK;
  }
  json_decref(values);
  return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "utility 'plugin': 'args' must be an array (positional) or an object (its values in order)");
}

static mcpk_status ut_plugin(json_t *config, json_t *inputs, const mcpk_invocation *inv, mcpk_string *out, mcpk_error *err) {
  const char *plugin = mi_str(config, "plugin");
  const char *op = mi_str(config, "pluginOperation");
  if (!plugin || !*plugin) return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "utility 'plugin' needs 'plugin' (the plugin name)");
  if (!op || !*op) return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "utility 'plugin' needs 'pluginOperation' (the operation name)");
  if (!mi_has_call_op(inv))
    return mi_fail(err, MCPK_STATUS_NOT_IMPLEMENTED, "utility 'plugin': this kernel's host does not offer call_op (ABI 1.1.0)");
  json_t *args = NULL;
  mcpk_status st = ut_arguments(config, inputs, &args, err);
  if (st != MCPK_STATUS_OK) return st;
  char *args_text = json_dumps(args, JSON_COMPACT);
  json_decref(args);
  if (!args_text) return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  mcpk_string result = {0};
  mcpk_error e = {0};
  st = inv->call_op(inv->host_data, plugin, op, args_text, &result, &e);
  free(args_text);
  if (st != MCPK_STATUS_OK) {
    if (result.release) result.release(&result);
    char ctx[MI_MAX_MESSAGE];
    snprintf(ctx, sizeof ctx, "utility 'plugin' %.200s.%.200s", plugin, op);
    return mi_fail_from(err, st, &e, ctx);
  }
  if (e.release) e.release(&e);
  /* Copy (and check) the host's JSON so the host can release its string now. */
  json_error_t je;
  json_t *value = result.data ? json_loadb(result.data, result.length, JSON_DECODE_ANY, &je) : json_null();
  if (result.release) result.release(&result);
  if (!value) return mi_fail(err, MCPK_STATUS_INTERNAL, "utility 'plugin' %s.%s returned invalid JSON: %s", plugin, op, je.text);
  st = mi_result(value, out, err);
  json_decref(value);
  return st;
}

/* ---- invoke ----------------------------------------------------------- */

static mcpk_status ut_invoke(void *data, const mcpk_step *step, const mcpk_invocation *inv, mcpk_string *out,
                             mcpk_error *err) {
  (void)data;
  json_t *config, *inputs;
  mcpk_status st = mi_parse_step(step, &config, &inputs, err);
  if (st != MCPK_STATUS_OK) return st;
  const char *op = mi_str(config, "operation");
  if (!op) op = mi_str(config, "utilityType");
  if (!op) op = "merge";
  json_t *value = NULL;
  if (strcmp(op, "merge") == 0) {
    value = ut_merge(inputs);
    st = value ? MCPK_STATUS_OK : mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  } else if (strcmp(op, "pick") == 0) {
    st = ut_pick(config, inputs, &value, err);
  } else if (strcmp(op, "template") == 0) {
    st = ut_template(config, inputs, &value, err);
  } else if (strcmp(op, "plugin") == 0) {
    st = ut_plugin(config, inputs, inv, out, err);
  } else {
    st = mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "operation: unknown utility operation '%.200s' (merge, pick, template, plugin)", op);
  }
  if (st == MCPK_STATUS_OK && value) st = mi_result(value, out, err);
  json_decref(value);
  json_decref(config);
  json_decref(inputs);
  return st;
}

MI_DEFINE_PLUGIN("utility", "Utility steps in-process: merge, pick, template, plugin operations", types, type_defs, ut_invoke)
