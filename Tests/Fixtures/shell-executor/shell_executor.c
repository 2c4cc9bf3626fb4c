/* A third-party executor for a new component type, "Shell Script" (ABI 1.2.0).
 *
 * Built outside the kernel with the documented line (docs/PLUGINS.md,
 * "Write an executor for a new component type"):
 *
 *     cc -shared -fPIC -Iinclude shell_executor.c -o libshell.so -ljansson
 *
 * The type is declared with its config JSON Schema (the kernel validates
 * configs against it and the console renders its form from it) and runs in the
 * kernel's sandbox: `plan` turns the step into `/bin/sh script.sh`, each scalar
 * input an environment variable `INPUT_<NAME>`; `finish` turns stdout into the
 * result. The kernel has already resolved `${inputs…}` / `${steps…}` references
 * in `inputs_json` before the plugin sees the step. */
#include <mcpk/plugin.h>
#include <jansson.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHELL_TYPE "Shell Script"
#define SHELL_DEFAULT_TIMEOUT_SECONDS 60
#define SHELL_MAX_ENV_NAME 128

static const char shell_schema[] =
    "{\"title\":\"Shell Script\","
    "\"description\":\"A POSIX sh script run in the sandbox; its standard output is the result.\","
    "\"type\":\"object\","
    "\"properties\":{"
    "\"script\":{\"type\":\"string\",\"title\":\"Script\",\"minLength\":1,"
    "\"description\":\"sh source. Each scalar step input NAME is the environment variable INPUT_NAME (upper case); all inputs are in inputs.json.\","
    "\"x-mcpk-code-language\":\"shell\"},"
    "\"outputFormat\":{\"type\":\"string\",\"title\":\"Output Format\",\"enum\":[\"text\",\"json\"],\"default\":\"text\","
    "\"description\":\"text: the result is {stdout}; json: standard output parsed as one JSON value.\"},"
    "\"timeoutSeconds\":{\"type\":\"integer\",\"title\":\"Timeout Seconds\",\"minimum\":1,\"maximum\":3600,\"default\":60,"
    "\"description\":\"Wall-clock limit of one run.\"}},"
    "\"required\":[\"script\"],\"additionalProperties\":false}";

static const mcpk_component_type shell_types[] = {{
    sizeof(mcpk_component_type), SHELL_TYPE, "Runs a POSIX sh script in the sandbox", shell_schema, NULL, 0,
    MCPK_EXECUTION_SANDBOX,
}};
static const char *const shell_type_names[] = {SHELL_TYPE};

/* An mcpk_string we produce: the JSON text is ours (jansson's malloc); the host calls release once. */
static void shell_string_release(mcpk_string *s) {
  free(s->data);
  s->data = NULL;
}

static mcpk_status shell_give(json_t *value, mcpk_string *out) {
  char *text = json_dumps(value, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(value);
  if (!text) return MCPK_STATUS_NO_MEMORY;
  out->data = text;
  out->length = strlen(text);
  out->release = shell_string_release;
  return MCPK_STATUS_OK;
}

static void shell_error_release(mcpk_error *e) {
  free(e->message);
  e->message = NULL;
}

static mcpk_status shell_fail(mcpk_error *err, mcpk_status status, const char *message) {
  if (err) {
    err->message = strdup(message);
    err->release = shell_error_release;
  }
  return status;
}

static mcpk_status shell_plan(void *plugin_data, const mcpk_step *step, mcpk_string *out, mcpk_error *err) {
  (void)plugin_data;
  json_t *config = json_loads(step->config_json, 0, NULL);
  json_t *inputs = json_loads(step->inputs_json, 0, NULL);
  const char *script = json_string_value(json_object_get(config, "script"));
  if (!script || !*script) {
    json_decref(config);
    json_decref(inputs);
    return shell_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "script: a Shell Script needs sh source");
  }
  json_int_t timeout = json_integer_value(json_object_get(config, "timeoutSeconds"));
  if (timeout <= 0) timeout = SHELL_DEFAULT_TIMEOUT_SECONDS;
  json_t *env = json_object();
  const char *key;
  json_t *value;
  json_object_foreach(inputs, key, value) {
    char name[SHELL_MAX_ENV_NAME];
    int n = snprintf(name, sizeof name, "INPUT_%s", key);
    if (n < 0 || (size_t)n >= sizeof name) continue;
    for (char *c = name; *c; c++) *c = isalnum((unsigned char)*c) ? (char)toupper((unsigned char)*c) : '_';
    if (json_is_string(value)) {
      json_object_set_new(env, name, json_string(json_string_value(value)));
    } else if (json_is_number(value) || json_is_boolean(value)) {
      char *text = json_dumps(value, JSON_ENCODE_ANY);
      if (text) json_object_set_new(env, name, json_string(text));
      free(text);
    }
  }
  json_t *spec = json_pack("{s:[s,s], s:o, s:[{s:s, s:s}], s:b, s:I}", "argv", "/bin/sh", "{work}/script.sh", "env", env,
                           "files", "path", "script.sh", "content", script, "network", 0, "timeout_ms",
                           (json_int_t)(timeout * 1000));
  json_decref(config);
  json_decref(inputs);
  if (!spec) return shell_fail(err, MCPK_STATUS_NO_MEMORY, "cannot build the process spec");
  return shell_give(spec, out);
}

static mcpk_status shell_finish(void *plugin_data, const mcpk_step *step, const mcpk_outcome *o, mcpk_string *out,
                                mcpk_error *err) {
  (void)plugin_data;
  char message[1024];
  if (o->timed_out) return shell_fail(err, MCPK_STATUS_TIMEOUT, "the script ran past timeoutSeconds");
  if (o->exit_code != 0 || o->term_signal != 0) {
    snprintf(message, sizeof message, "the script exited with %d (signal %d): %s", (int)o->exit_code,
             (int)o->term_signal, o->stderr_tail ? o->stderr_tail : "");
    return shell_fail(err, MCPK_STATUS_UNKNOWN, message);
  }
  const char *stdout_text = o->stdout_tail ? o->stdout_tail : "";
  size_t n = strlen(stdout_text);
  while (n > 0 && (stdout_text[n - 1] == '\n' || stdout_text[n - 1] == '\r')) n--;
  json_t *config = json_loads(step->config_json, 0, NULL);
  const char *format = json_string_value(json_object_get(config, "outputFormat"));
  int as_json = format && strcmp(format, "json") == 0;
  json_decref(config);
  if (as_json) {
    json_error_t e;
    json_t *v = json_loadb(stdout_text, n, JSON_DECODE_ANY, &e);
    if (!v) {
      snprintf(message, sizeof message, "outputFormat json: standard output is not JSON: %s", e.text);
      return shell_fail(err, MCPK_STATUS_INVALID_ARGUMENT, message);
    }
    return shell_give(v, out);
  }
  json_t *result = json_object();
  json_object_set_new(result, "stdout", json_stringn(stdout_text, n));
  return shell_give(result, out);
}

static const mcpk_executor shell_executor = {
    .struct_size = sizeof(mcpk_executor),
    .component_types = shell_type_names,
    .component_type_count = 1,
    .plan = shell_plan,
    .finish = shell_finish,
    .invoke = NULL,
    .type_defs = shell_types,
    .type_def_count = 1,
};

MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host;
  (void)err;
  if (host_abi < MCPK_ABI_VERSION_1_2_0) return MCPK_STATUS_NOT_IMPLEMENTED; /* needs type_defs */
  if (out_size < sizeof(mcpk_plugin)) return MCPK_STATUS_INVALID_ARGUMENT;
  out->struct_size = sizeof(mcpk_plugin);
  out->abi_version = MCPK_ABI_VERSION_1_2_0;
  out->name = "shell";
  out->version = "1.0.0";
  out->description = "Shell Script steps in the sandbox";
  out->kinds = MCPK_KIND_EXECUTOR;
  out->executor = &shell_executor;
  return MCPK_STATUS_OK;
}
