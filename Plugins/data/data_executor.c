/* Data executor: SQL through a connection the component declares, in-process
 * (`invoke`), through mcpk_invocation.query (the kernel's connector plugin
 * does the work; credentials never reach this plugin).
 *
 * Config: `connection` (id or name), `query` (or `sql`), `params`
 * (positional, each rendered against the inputs keeping its type; without
 * `params`, the `params` input when it is an array), `maxRows` (default
 * DATA_DEFAULT_MAX_ROWS, at most DATA_MAX_MAX_ROWS: the component
 * catalogue's limits).
 *
 * `${inputs.x}` references inside `query` are TEXT interpolation, not
 * parameters: a value that contains SQL is spliced into the statement. Use
 * them for trusted fragments only (a table name chosen by the workflow);
 * pass values as `params` (`?` for SQLite, `$1` for PostgreSQL).
 *
 * Result (as `connection.query` returns it): `{columns:[{name, type,
 * db_type?}], rows:[[…]], truncated, row_count, rows_affected?,
 * elapsed_ms}`; bytes cells are base64 text. A `log` event "query on
 * '<conn>' (max N rows)" before and a `progress` event "<n> rows" after.
 * Cancellation: the row sink answers CANCELLED once is_cancelled is set.
 *
 * `resultFormat: "arrow"` keeps the rows out of the result: they stream
 * batch by batch into an Arrow IPC stream file (arrow_ipc.c) in the work
 * dir, named `resultArtifact` (default `<step id>.arrows`), which becomes
 * the step's artifact; the result carries `artifact: {"$artifact": name,
 * format: "arrow-ipc-stream", mime, rows, columns, batches, bytes, path}`
 * instead of `rows` (and each column's Arrow type as `arrow_type`). A step
 * whose inputs hold that reference finds the file at `path` (relative to its
 * own work dir): the engine stages it there (docs/DEFINITIONS.md).
 *
 * Ownership: parameters (mcpk_value text) borrow from the rendered jansson
 * array, alive for the whole query call; cells the sink receives are copied
 * into jansson values before it returns. */
#define _POSIX_C_SOURCE 200809L /* strdup, clock_gettime, O_NOFOLLOW, O_CLOEXEC */
#include "mcpk_invoke_support.h"
#include "mcpk_plugin_support.h"
#include "data_type.h"
#include "arrow_ipc.h"

#include <math.h>
#include <sodium.h>
#include <time.h>
#include <unistd.h>

static const char *const types[] = {"Data"};

/* Default and largest maxRows (ComponentSpec.defaultDataMaxRows / maxDataMaxRows). */
#define DATA_DEFAULT_MAX_ROWS 1000
#define DATA_MAX_MAX_ROWS 1000000
/* Most parameters accepted. */
#define DATA_MAX_PARAMS 65535
/* Largest Arrow result file: the kernel keeps artifacts up to this size (EngineLimits.maxArtifactBytes). */
#define DATA_MAX_ARTIFACT_BYTES (256LL * 1024 * 1024)
/* Longest artifact name (ArtifactNames.maxNameLength). */
#define DATA_MAX_ARTIFACT_NAME 200
/* The Arrow artifact's MIME type (ArtifactNames.mime for ".arrows"). */
#define DATA_ARROW_MIME "application/vnd.apache.arrow.stream"

/* ---- cells → JSON ----------------------------------------------------- */

static const char *data_type_name(int32_t t) {
  switch (t) {
    case MCPK_TYPE_NULL: return "null";
    case MCPK_TYPE_BOOL: return "bool";
    case MCPK_TYPE_INT64: return "int64";
    case MCPK_TYPE_DOUBLE: return "double";
    case MCPK_TYPE_BYTES: return "bytes";
    default: return "text";
  }
}

/* Base64 of bytes cells: libsodium's encoder (the kernel's Base64 uses the same one). */
static json_t *data_base64(const unsigned char *s, size_t n) {
  size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL); /* with the NUL */
  char *o = malloc(len);
  if (!o) return NULL;
  sodium_bin2base64(o, len, s, n, sodium_base64_VARIANT_ORIGINAL);
  json_t *r = json_stringn(o, len - 1);
  free(o);
  return r;
}

/* Text that is not valid UTF-8 keeps its valid parts; each bad byte becomes U+FFFD. */
static json_t *data_text(const char *s, size_t n) {
  json_t *r = json_stringn(s, n);
  if (r) return r;
  mx_buf b = {0};
  mx_put(&b, "", 0);
  size_t i = 0;
  while (i < n) {
    unsigned char c = (unsigned char)s[i];
    size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    int ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; k++) ok = ((unsigned char)s[i + k] >> 6) == 2;
    if (ok && len > 1) { /* reject overlong forms and surrogates via jansson */
      json_t *probe = json_stringn(s + i, len);
      ok = probe != NULL;
      json_decref(probe);
    }
    if (ok && !(len == 1 && c == 0)) { mx_put(&b, s + i, len); i += len; }
    else { mx_put(&b, "\xEF\xBF\xBD", 3); i++; }
  }
  r = b.failed ? NULL : json_stringn(b.data, b.len);
  free(b.data);
  return r;
}

static json_t *data_cell(const mcpk_value *v) {
  switch (v->type) {
    case MCPK_TYPE_NULL: return json_null();
    case MCPK_TYPE_BOOL: return json_boolean(v->v.b != 0);
    case MCPK_TYPE_INT64: return json_integer((json_int_t)v->v.i);
    case MCPK_TYPE_DOUBLE: return isfinite(v->v.d) ? json_real(v->v.d) : json_null();
    case MCPK_TYPE_BYTES: return data_base64((const unsigned char *)v->v.s.data, v->v.s.length);
    case MCPK_TYPE_TEXT: return data_text(v->v.s.data ? v->v.s.data : "", v->v.s.data ? v->v.s.length : 0);
    default: return json_null();
  }
}

/* ---- the row sink ----------------------------------------------------- */

typedef struct {
  const mcpk_invocation *inv;
  int64_t max_rows;
  json_t *columns;      /* [{name, type, db_type?}] */
  json_t *rows;         /* [[…]] */
  int truncated;
  int64_t rows_affected; /* -1: unknown */
  int ended;
  int no_memory;
  /* resultFormat "arrow": rows go to the writer, never into `rows`. */
  const char *arrow_path;  /* NULL: rows mode */
  arrow_ipc_writer *arrow;
  int64_t arrow_rows;
  char arrow_error[ARROW_IPC_MAX_MESSAGE]; /* set when the writer failed */
} data_sink;

static mcpk_status data_sink_columns(void *sd, const mcpk_column *cols, size_t count) {
  data_sink *s = sd;
  if (mi_cancelled(s->inv)) return MCPK_STATUS_CANCELLED;
  json_array_clear(s->columns);
  for (size_t i = 0; i < count; i++) {
    json_t *c = json_object();
    json_t *name = data_text(cols[i].name ? cols[i].name : "", cols[i].name ? strlen(cols[i].name) : 0);
    if (!c || !name) { json_decref(c); json_decref(name); s->no_memory = 1; return MCPK_STATUS_NO_MEMORY; }
    json_object_set_new(c, "name", name);
    json_object_set_new(c, "type", json_string(data_type_name(cols[i].type)));
    if (cols[i].type_name) json_object_set_new(c, "db_type", data_text(cols[i].type_name, strlen(cols[i].type_name)));
    json_array_append_new(s->columns, c);
  }
  if (s->arrow_path) {
    if (s->arrow) { /* a second result description: start the file again */
      arrow_ipc_free(s->arrow);
      s->arrow = NULL;
      unlink(s->arrow_path);
    }
    s->arrow = arrow_ipc_open(s->arrow_path, cols, count, DATA_MAX_ARTIFACT_BYTES, s->arrow_error, sizeof s->arrow_error);
    if (!s->arrow) return MCPK_STATUS_IO;
  }
  return MCPK_STATUS_OK;
}

static mcpk_status data_sink_row(void *sd, const mcpk_value *cells, size_t count) {
  data_sink *s = sd;
  if (mi_cancelled(s->inv)) return MCPK_STATUS_CANCELLED;
  /* The connector enforces max_rows; a row beyond it only marks truncation. */
  int64_t have = s->arrow_path ? s->arrow_rows : (int64_t)json_array_size(s->rows);
  if (s->max_rows >= 0 && have >= s->max_rows) { s->truncated = 1; return MCPK_STATUS_OK; }
  if (s->arrow_path) {
    if (!s->arrow) { snprintf(s->arrow_error, sizeof s->arrow_error, "rows arrived before the result's columns"); return MCPK_STATUS_INVALID_STATE; }
    if (arrow_ipc_append(s->arrow, cells, count, s->arrow_error, sizeof s->arrow_error)) return MCPK_STATUS_INVALID_ARGUMENT;
    s->arrow_rows++;
    return MCPK_STATUS_OK;
  }
  json_t *row = json_array();
  if (!row) { s->no_memory = 1; return MCPK_STATUS_NO_MEMORY; }
  for (size_t i = 0; i < count; i++) {
    json_t *c = data_cell(&cells[i]);
    if (!c) { json_decref(row); s->no_memory = 1; return MCPK_STATUS_NO_MEMORY; }
    json_array_append_new(row, c);
  }
  json_array_append_new(s->rows, row);
  return MCPK_STATUS_OK;
}

static mcpk_status data_sink_end(void *sd, int32_t truncated, int64_t rows_affected) {
  data_sink *s = sd;
  s->truncated = s->truncated || truncated != 0;
  s->rows_affected = rows_affected;
  s->ended = 1;
  return MCPK_STATUS_OK;
}

/* ---- parameters ------------------------------------------------------- */

/* Fills `out[i]` from the rendered JSON values (borrowed from `params`, which
 * must outlive the query). Objects and arrays become their JSON text, kept
 * alive in `texts`. */
static void data_values(json_t *params, json_t *texts, mcpk_value *out) {
  size_t i;
  json_t *p;
  json_array_foreach(params, i, p) {
    mcpk_value *v = &out[i];
    memset(v, 0, sizeof *v);
    if (json_is_null(p)) v->type = MCPK_TYPE_NULL;
    else if (json_is_boolean(p)) { v->type = MCPK_TYPE_BOOL; v->v.b = json_is_true(p); }
    else if (json_is_integer(p)) { v->type = MCPK_TYPE_INT64; v->v.i = (int64_t)json_integer_value(p); }
    else if (json_is_real(p)) { v->type = MCPK_TYPE_DOUBLE; v->v.d = json_real_value(p); }
    else if (json_is_string(p)) { v->type = MCPK_TYPE_TEXT; v->v.s.data = json_string_value(p); v->v.s.length = json_string_length(p); }
    else {
      char *t = json_dumps(p, JSON_COMPACT);
      json_t *js = t ? json_string(t) : json_string("null");
      free(t);
      json_array_append_new(texts, js);
      v->type = MCPK_TYPE_TEXT;
      v->v.s.data = json_string_value(js);
      v->v.s.length = json_string_length(js);
    }
  }
}

/* ---- the Arrow artifact ------------------------------------------------ */

static int data_artifact_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
}

/* `resultArtifact`, or "<step id>.arrows" with every other character as '_'. 0, or -1 with a message. */
static int data_artifact_name(json_t *config, const mcpk_step *step, char *out, size_t size, char *msg, size_t msglen) {
  json_t *given = json_object_get(config, "resultArtifact");
  if (given && !json_is_null(given) && !(json_is_string(given) && !*json_string_value(given))) {
    const char *n = json_is_string(given) ? json_string_value(given) : NULL;
    size_t len = n ? strlen(n) : 0;
    int ok = n && len <= DATA_MAX_ARTIFACT_NAME && n[0] != '.';
    for (size_t i = 0; ok && i < len; i++) ok = data_artifact_char(n[i]);
    if (!ok) {
      snprintf(msg, msglen, "resultArtifact: must be a plain file name of at most %d letters, digits, '.', '-' or '_', "
               "not starting with '.'", DATA_MAX_ARTIFACT_NAME);
      return -1;
    }
    snprintf(out, size, "%s", n);
    return 0;
  }
  const char *id = step->step_id && *step->step_id ? step->step_id : "result";
  size_t j = 0;
  for (size_t i = 0; id[i] && j < DATA_MAX_ARTIFACT_NAME - 7 && j + 8 < size; i++) out[j++] = data_artifact_char(id[i]) ? id[i] : '_';
  if (out[0] == '.') out[0] = '_';
  snprintf(out + j, size - j, ".arrows");
  return 0;
}

/* ---- invoke ----------------------------------------------------------- */

static mcpk_status data_run(json_t *config, json_t *inputs, const mcpk_step *step, const mcpk_invocation *inv, mcpk_string *out,
                            mcpk_error *err) {
  const char *connection = mi_str(config, "connection");
  if (!connection || !*connection) return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "connection: the Data component names no connection");
  const char *raw = mi_str(config, "query");
  if (!raw) raw = mi_str(config, "sql");
  if (!raw || !*raw) return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "query: the Data component has no SQL query");
  int bad = 0;
  long long max_rows = mi_int(config, "maxRows", DATA_DEFAULT_MAX_ROWS, &bad);
  if (bad || max_rows < 1 || max_rows > DATA_MAX_MAX_ROWS)
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "maxRows: must be an integer from 1 to %d", DATA_MAX_MAX_ROWS);
  const char *format = mi_str(config, "resultFormat");
  int arrow = format && !strcmp(format, "arrow");
  if (format && *format && !arrow && strcmp(format, "rows"))
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "resultFormat: must be \"rows\" (the default) or \"arrow\", not \"%.100s\"", format);
  if (json_object_get(config, "resultFormat") && !json_is_null(json_object_get(config, "resultFormat")) && !format)
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "resultFormat: must be \"rows\" or \"arrow\"");

  char msg[MI_MAX_MESSAGE];
  char artifact[DATA_MAX_ARTIFACT_NAME + 1] = "";
  char *arrow_path = NULL;
  if (arrow) {
    if (data_artifact_name(config, step, artifact, sizeof artifact, msg, sizeof msg)) return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "%s", msg);
    if (!step->work_dir || !*step->work_dir) return mi_fail(err, MCPK_STATUS_INVALID_STATE, "the host gave no work directory for the Arrow result");
    size_t n = strlen(step->work_dir) + strlen(artifact) + 2;
    arrow_path = malloc(n);
    if (!arrow_path) return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
    snprintf(arrow_path, n, "%s/%s", step->work_dir, artifact);
    unlink(arrow_path); /* a retried attempt gets a fresh work dir; never append to an old file */
  }
  /* `query` and `params` references were resolved by the engine (x-mcpk-template). */
  json_t *sqlv = json_string(raw);
  if (!sqlv) { free(arrow_path); return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "query: is not valid UTF-8"); }
  char *sql = json_is_string(sqlv) ? strdup(json_string_value(sqlv)) : json_dumps(sqlv, JSON_COMPACT | JSON_ENCODE_ANY);
  json_decref(sqlv);
  if (!sql) { free(arrow_path); return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory"); }

  /* The config's params; when it has none (absent, null or the catalogue's default []), the `params` input. */
  json_t *given = json_object_get(config, "params");
  if (!given || json_is_null(given) || (json_is_array(given) && json_array_size(given) == 0))
    given = json_is_array(json_object_get(inputs, "params")) ? json_object_get(inputs, "params") : given;
  if (given && json_is_null(given)) given = NULL;
  if (given && !json_is_array(given)) { free(sql); free(arrow_path); return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "params: must be an array of positional parameters"); }
  json_t *params = given ? json_incref(given) : json_array();
  size_t count = json_array_size(params);
  if (count > DATA_MAX_PARAMS) { free(sql); free(arrow_path); json_decref(params); return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "params: more than %d parameters", DATA_MAX_PARAMS); }
  json_t *texts = json_array();
  mcpk_value *values = calloc(count ? count : 1, sizeof *values);
  char *params_json = json_dumps(params, JSON_COMPACT);
  mcpk_status st = MCPK_STATUS_OK;
  if (!texts || !values || !params_json) { st = mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory"); goto done; }
  data_values(params, texts, values);

  if (arrow) snprintf(msg, sizeof msg, "query on '%.200s' (max %lld rows) into the Arrow artifact %s", connection, max_rows, artifact);
  else snprintf(msg, sizeof msg, "query on '%.200s' (max %lld rows)", connection, max_rows);
  if (mi_log(inv, "kernel", msg) == MCPK_STATUS_CANCELLED || mi_cancelled(inv)) { st = mi_fail(err, MCPK_STATUS_CANCELLED, "cancelled"); goto done; }

  mcpk_query q;
  memset(&q, 0, sizeof q);
  q.struct_size = sizeof q;
  q.sql = sql;
  q.params_json = params_json;
  q.params = values;
  q.param_count = count;
  q.max_rows = max_rows;
  q.timeout_ms = 0;
  data_sink s = {inv, max_rows, json_array(), json_array(), 0, -1, 0, 0, arrow_path, NULL, 0, ""};
  mcpk_row_sink sink = {sizeof sink, &s, data_sink_columns, data_sink_row, data_sink_end};
  if (!s.columns || !s.rows) { json_decref(s.columns); json_decref(s.rows); st = mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory"); goto done; }
  int64_t start = mp_now_ms();
  mcpk_error qe = {0};
  st = inv->query(inv->host_data, connection, &q, &sink, &qe);
  int64_t elapsed = mp_now_ms() - start;
  if (mi_cancelled(inv)) st = MCPK_STATUS_CANCELLED; /* whatever the interrupted statement reported */
  if (arrow && st == MCPK_STATUS_OK && !s.arrow) { /* a statement without a result set: a file with no columns */
    s.arrow = arrow_ipc_open(arrow_path, NULL, 0, DATA_MAX_ARTIFACT_BYTES, s.arrow_error, sizeof s.arrow_error);
    if (!s.arrow) st = MCPK_STATUS_IO;
  }
  int64_t arrow_batches = 0, arrow_bytes = 0;
  if (arrow && st == MCPK_STATUS_OK) {
    if (arrow_ipc_finish(s.arrow, s.arrow_error, sizeof s.arrow_error)) st = MCPK_STATUS_IO;
    arrow_batches = arrow_ipc_batches(s.arrow);
    arrow_bytes = arrow_ipc_bytes(s.arrow);
    for (size_t i = 0; i < json_array_size(s.columns); i++) /* settled now (untyped columns take their first cell's type) */
      json_object_set_new(json_array_get(s.columns, i), "arrow_type", json_string(arrow_ipc_column_type(s.arrow, i)));
    arrow_ipc_free(s.arrow);
    s.arrow = NULL;
  }
  if (arrow && st == MCPK_STATUS_OK) {
    /* The artifact event: the kernel copies the file into the run's artifacts (or says why it cannot). */
    json_t *ev = json_pack("{s:s, s:s, s:s}", "name", artifact, "path", arrow_path, "mime", DATA_ARROW_MIME);
    mcpk_status es = ev ? mi_emit(inv, "artifact", ev) : MCPK_STATUS_NO_MEMORY;
    json_decref(ev);
    if (es == MCPK_STATUS_CANCELLED) st = MCPK_STATUS_CANCELLED;
    else if (es != MCPK_STATUS_OK) {
      snprintf(s.arrow_error, sizeof s.arrow_error, "the kernel could not keep the Arrow artifact %s (%lld bytes; the step's log says why)",
               artifact, (long long)arrow_bytes);
      st = MCPK_STATUS_IO;
    }
  }
  if (st != MCPK_STATUS_OK) {
    json_decref(s.columns);
    json_decref(s.rows);
    if (s.arrow) arrow_ipc_free(s.arrow);
    if (arrow_path) unlink(arrow_path);
    if (st != MCPK_STATUS_CANCELLED && s.arrow_error[0]) {
      if (qe.release) qe.release(&qe);
      st = mi_fail(err, st, "resultFormat arrow: %s", s.arrow_error);
      goto done;
    }
    if (st == MCPK_STATUS_CANCELLED) {
      if (qe.release) qe.release(&qe);
      st = mi_fail(err, st, "cancelled: the query on '%.200s' was stopped", connection);
    } else {
      snprintf(msg, sizeof msg, "query on '%.200s'", connection);
      st = mi_fail_from(err, st, &qe, msg);
    }
    goto done;
  }
  if (qe.release) qe.release(&qe);
  size_t n = arrow ? (size_t)s.arrow_rows : json_array_size(s.rows);
  json_t *res = json_object();
  if (arrow) {
    json_t *ref = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:s+}", "$artifact", artifact, "format", "arrow-ipc-stream",
                            "mime", DATA_ARROW_MIME, "rows", (json_int_t)s.arrow_rows,
                            "columns", (json_int_t)json_array_size(s.columns), "batches", (json_int_t)arrow_batches,
                            "bytes", (json_int_t)arrow_bytes, "path", "artifacts/", artifact);
    json_object_set_new(res, "artifact", ref);
    json_decref(s.rows);
  }
  json_object_set_new(res, "columns", s.columns);
  if (!arrow) json_object_set_new(res, "rows", s.rows);
  json_object_set_new(res, "truncated", json_boolean(s.truncated));
  json_object_set_new(res, "row_count", json_integer((json_int_t)n));
  if (s.rows_affected >= 0) json_object_set_new(res, "rows_affected", json_integer((json_int_t)s.rows_affected));
  json_object_set_new(res, "elapsed_ms", json_integer((json_int_t)elapsed));
  snprintf(msg, sizeof msg, "%zu rows%s", n, s.truncated ? " (truncated)" : "");
  mi_progress(inv, 1, msg);
  st = mi_result(res, out, err);
  json_decref(res);
done:
  free(sql);
  free(arrow_path);
  free(params_json);
  free(values);
  json_decref(texts);
  json_decref(params);
  return st;
}

static mcpk_status data_invoke(void *data, const mcpk_step *step, const mcpk_invocation *inv, mcpk_string *out,
                               mcpk_error *err) {
  (void)data;
  if (inv->struct_size < MCPK_INVOCATION_SIZE_1_0_0 || !inv->query)
    return mi_fail(err, MCPK_STATUS_NOT_IMPLEMENTED, "the host offers no query callback");
  json_t *config, *inputs;
  mcpk_status st = mi_parse_step(step, &config, &inputs, err);
  if (st != MCPK_STATUS_OK) return st;
  st = data_run(config, inputs, step, inv, out, err);
  json_decref(config);
  json_decref(inputs);
  return st;
}

MI_DEFINE_PLUGIN("data", "Data steps in-process: SQL through a declared connection, rows as the result", types, type_defs, data_invoke)
