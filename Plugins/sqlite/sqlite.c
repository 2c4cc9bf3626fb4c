/*
 * sqlite: the bundled SQLite connector (libsqlite3).
 *
 * Config: {"path": FILE, "read_only": BOOL, "busy_timeout_ms": INT}. Parameters
 * use `?`. max_rows is enforced by stepping (never more rows than needed +1 to
 * know whether the result was truncated); timeout and cancel interrupt the
 * statement through the progress handler / sqlite3_interrupt. The schema scan
 * reads sqlite_schema and the table-valued pragmas, building JSON inside SQLite.
 */
#include "mcpk/plugin.h"
#include "mcpk_plugin_support.h"

#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mcpk_connection {
  sqlite3 *db;
  int read_only;
  atomic_int cancelled;
  int64_t deadline_ms; /* 0: none */
  int timed_out;
};

static mcpk_status set_error(mcpk_error *err, mcpk_status st, int code, const char *sqlstate, const char *msg) {
  if (err) {
    if (err->release) err->release(err);
    err->message = strdup(msg ? msg : "sqlite error");
    err->vendor_code = code;
    memset(err->sqlstate, 0, sizeof err->sqlstate);
    if (sqlstate) memcpy(err->sqlstate, sqlstate, 5);
    err->release = mp_error_release;
  }
  return st;
}

/* Maps an SQLite result code to a status and an approximate SQLSTATE. */
static mcpk_status db_error(mcpk_connection *c, mcpk_error *err, int rc) {
  int primary = rc & 0xff;
  const char *msg = sqlite3_errmsg(c->db);
  switch (primary) {
    case SQLITE_INTERRUPT:
      if (c->timed_out) return set_error(err, MCPK_STATUS_TIMEOUT, rc, "57014", "canceling statement due to statement timeout");
      return set_error(err, MCPK_STATUS_CANCELLED, rc, "57014", "canceling statement due to user request");
    case SQLITE_READONLY: return set_error(err, MCPK_STATUS_FORBIDDEN, rc, "25006", msg);
    case SQLITE_CONSTRAINT: return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, rc, "23000", msg);
    case SQLITE_RANGE:
    case SQLITE_MISMATCH: return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, rc, "22023", msg);
    case SQLITE_ERROR:
      if (strstr(msg, "no such table") || strstr(msg, "no such column")) return set_error(err, MCPK_STATUS_NOT_FOUND, rc, "42P01", msg);
      return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, rc, "42000", msg);
    case SQLITE_AUTH:
    case SQLITE_PERM: return set_error(err, MCPK_STATUS_FORBIDDEN, rc, "42501", msg);
    case SQLITE_CANTOPEN: return set_error(err, MCPK_STATUS_NOT_FOUND, rc, "58030", msg);
    case SQLITE_NOMEM: return set_error(err, MCPK_STATUS_NO_MEMORY, rc, "53200", msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return set_error(err, MCPK_STATUS_IO, rc, "55P03", msg);
    default: return set_error(err, MCPK_STATUS_IO, rc, "58000", msg);
  }
}

static int progress(void *p) {
  mcpk_connection *c = p;
  if (atomic_load(&c->cancelled)) return 1;
  if (c->deadline_ms && mp_now_ms() >= c->deadline_ms) { c->timed_out = 1; return 1; }
  return 0;
}

static mcpk_status s_open(void *pd, const mcpk_connect_args *a, mcpk_connection **out, mcpk_error *err) {
  (void)pd;
  const char *path = mp_option(a, "path");
  if (!path || !*path) return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, 0, NULL, "config.path is required");
  const char *ro = mp_option(a, "read_only");
  int read_only = ro && strcmp(ro, "true") == 0;
  const char *create = mp_option(a, "create");
  int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (!read_only && create && strcmp(create, "true") == 0) flags |= SQLITE_OPEN_CREATE;
  flags |= SQLITE_OPEN_NOMUTEX;
  mcpk_connection *c = calloc(1, sizeof *c);
  if (!c) return MCPK_STATUS_NO_MEMORY;
  int rc = sqlite3_open_v2(path, &c->db, flags, NULL);
  if (rc != SQLITE_OK) {
    char msg[512];
    snprintf(msg, sizeof msg, "cannot open %s: %s", path, c->db ? sqlite3_errmsg(c->db) : sqlite3_errstr(rc));
    sqlite3_close(c->db);
    free(c);
    return set_error(err, (rc & 0xff) == SQLITE_CANTOPEN ? MCPK_STATUS_NOT_FOUND : MCPK_STATUS_IO, rc, "08001", msg);
  }
  c->read_only = read_only;
  const char *busy = mp_option(a, "busy_timeout_ms");
  sqlite3_busy_timeout(c->db, busy ? atoi(busy) : 5000);
  sqlite3_extended_result_codes(c->db, 1);
  sqlite3_progress_handler(c->db, 1000, progress, c);
  sqlite3_exec(c->db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
  if (read_only) sqlite3_exec(c->db, "PRAGMA query_only = ON", NULL, NULL, NULL);
  *out = c;
  return MCPK_STATUS_OK;
}

static void s_close(mcpk_connection *c) {
  if (!c) return;
  sqlite3_close_v2(c->db);
  free(c);
}

static mcpk_status s_test(mcpk_connection *c, mcpk_string *version, mcpk_error *err) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->db, "SELECT sqlite_version(), count(*) FROM sqlite_schema", -1, &st, NULL);
  if (rc != SQLITE_OK) return db_error(c, err, rc);
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) { mcpk_status s = db_error(c, err, rc); sqlite3_finalize(st); return s; }
  char v[64];
  snprintf(v, sizeof v, "SQLite %s", (const char *)sqlite3_column_text(st, 0));
  mp_put_string(version, v, strlen(v));
  sqlite3_finalize(st);
  return MCPK_STATUS_OK;
}

static mcpk_status s_cancel(mcpk_connection *c) {
  atomic_store(&c->cancelled, 1);
  sqlite3_interrupt(c->db);
  return MCPK_STATUS_OK;
}

static int32_t decl_type(const char *decl) {
  if (!decl) return MCPK_TYPE_TEXT;
  char up[64];
  size_t i;
  for (i = 0; decl[i] && i < sizeof up - 1; i++) up[i] = (char)((decl[i] >= 'a' && decl[i] <= 'z') ? decl[i] - 32 : decl[i]);
  up[i] = 0;
  if (strstr(up, "BOOL")) return MCPK_TYPE_BOOL;
  if (strstr(up, "INT")) return MCPK_TYPE_INT64;
  if (strstr(up, "REAL") || strstr(up, "FLOA") || strstr(up, "DOUB") || strstr(up, "NUMERIC") || strstr(up, "DECIMAL")) return MCPK_TYPE_DOUBLE;
  if (strstr(up, "BLOB")) return MCPK_TYPE_BYTES;
  return MCPK_TYPE_TEXT;
}

static mcpk_status bind_params(mcpk_connection *c, sqlite3_stmt *st, const mcpk_query *q, mcpk_error *err) {
  int expected = sqlite3_bind_parameter_count(st);
  if ((size_t)expected != q->param_count) {
    char msg[128];
    snprintf(msg, sizeof msg, "statement has %d parameter(s), %zu given", expected, q->param_count);
    return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, SQLITE_RANGE, "08P01", msg);
  }
  for (size_t i = 0; i < q->param_count; i++) {
    const mcpk_value *v = &q->params[i];
    int idx = (int)i + 1, rc;
    switch (v->type) {
      case MCPK_TYPE_NULL: rc = sqlite3_bind_null(st, idx); break;
      case MCPK_TYPE_BOOL: rc = sqlite3_bind_int(st, idx, v->v.b ? 1 : 0); break;
      case MCPK_TYPE_INT64: rc = sqlite3_bind_int64(st, idx, v->v.i); break;
      case MCPK_TYPE_DOUBLE: rc = sqlite3_bind_double(st, idx, v->v.d); break;
      case MCPK_TYPE_BYTES: rc = sqlite3_bind_blob64(st, idx, v->v.s.data, v->v.s.length, SQLITE_TRANSIENT); break;
      default: rc = sqlite3_bind_text64(st, idx, v->v.s.data, v->v.s.length, SQLITE_TRANSIENT, SQLITE_UTF8); break;
    }
    if (rc != SQLITE_OK) return db_error(c, err, rc);
  }
  return MCPK_STATUS_OK;
}

static mcpk_status s_execute(mcpk_connection *c, const mcpk_query *q, const mcpk_row_sink *sink, mcpk_error *err) {
  atomic_store(&c->cancelled, 0);
  c->timed_out = 0;
  c->deadline_ms = q->timeout_ms > 0 ? mp_now_ms() + q->timeout_ms : 0;
  sqlite3_stmt *st = NULL;
  const char *tail = NULL;
  int rc = sqlite3_prepare_v2(c->db, q->sql, -1, &st, &tail);
  if (rc != SQLITE_OK) return db_error(c, err, rc);
  if (!st) return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, 0, "42601", "empty statement");
  while (tail && (*tail == ' ' || *tail == '\n' || *tail == '\t' || *tail == ';' || *tail == '\r')) tail++;
  if (tail && *tail) {
    sqlite3_finalize(st);
    return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, 0, "42601", "only one statement per query");
  }
  if (c->read_only && !sqlite3_stmt_readonly(st)) {
    sqlite3_finalize(st);
    return set_error(err, MCPK_STATUS_FORBIDDEN, SQLITE_READONLY, "25006", "cannot execute a write statement on a read-only connection");
  }
  mcpk_status s = bind_params(c, st, q, err);
  if (s != MCPK_STATUS_OK) { sqlite3_finalize(st); return s; }

  int ncols = sqlite3_column_count(st);
  mcpk_column *cols = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *cols);
  mcpk_value *cells = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *cells);
  if (!cols || !cells) { free(cols); free(cells); sqlite3_finalize(st); return MCPK_STATUS_NO_MEMORY; }
  for (int i = 0; i < ncols; i++) {
    cols[i].name = sqlite3_column_name(st, i);
    cols[i].type_name = sqlite3_column_decltype(st, i);
    cols[i].type = decl_type(cols[i].type_name);
  }
  s = sink->columns(sink->sink_data, cols, (size_t)ncols);
  int64_t delivered = 0;
  int truncated = 0;
  while (s == MCPK_STATUS_OK) {
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) { s = db_error(c, err, rc); break; }
    if (q->max_rows >= 0 && delivered >= q->max_rows) { truncated = 1; break; }
    for (int i = 0; i < ncols; i++) {
      switch (sqlite3_column_type(st, i)) {
        case SQLITE_INTEGER:
          cells[i].type = cols[i].type == MCPK_TYPE_BOOL ? MCPK_TYPE_BOOL : MCPK_TYPE_INT64;
          if (cells[i].type == MCPK_TYPE_BOOL) cells[i].v.b = sqlite3_column_int64(st, i) != 0;
          else cells[i].v.i = sqlite3_column_int64(st, i);
          break;
        case SQLITE_FLOAT: cells[i].type = MCPK_TYPE_DOUBLE; cells[i].v.d = sqlite3_column_double(st, i); break;
        case SQLITE_BLOB:
          cells[i].type = MCPK_TYPE_BYTES;
          cells[i].v.s.data = sqlite3_column_blob(st, i);
          cells[i].v.s.length = (size_t)sqlite3_column_bytes(st, i);
          if (!cells[i].v.s.data) cells[i].v.s.data = ""; /* a zero-length blob is empty, not NULL */
          break;
        case SQLITE_NULL: cells[i].type = MCPK_TYPE_NULL; break;
        default:
          cells[i].type = MCPK_TYPE_TEXT;
          cells[i].v.s.data = (const char *)sqlite3_column_text(st, i);
          cells[i].v.s.length = (size_t)sqlite3_column_bytes(st, i);
          break;
      }
    }
    s = sink->row(sink->sink_data, cells, (size_t)ncols);
    delivered++;
  }
  int64_t affected = -1;
  if (s == MCPK_STATUS_OK && ncols == 0 && !sqlite3_stmt_readonly(st)) affected = sqlite3_changes64(c->db);
  sqlite3_finalize(st);
  free(cols);
  free(cells);
  c->deadline_ms = 0;
  if (s != MCPK_STATUS_OK) return s;
  return sink->end(sink->sink_data, truncated, affected);
}

/* The scan is one SQL statement building the whole JSON document. */
static const char *SCAN_TABLES_SQL =
  "SELECT json_object('schemas', json_array(json_object('name', 'main', 'tables', ("
  " SELECT json_group_array(json(t)) FROM (SELECT %s AS t FROM sqlite_schema m"
  "  WHERE m.type IN ('table','view') AND m.name NOT LIKE 'sqlite_%%' AND (?1 IS NULL OR m.name = ?1)"
  "  ORDER BY m.name)))))";

static const char *TABLE_SHALLOW = "json_object('name', m.name, 'type', m.type)";

static const char *TABLE_DEEP =
  "json_object('name', m.name, 'type', m.type,"
  " 'columns', (SELECT json_group_array(json_object('name', c.name, 'type', c.type,"
  "   'nullable', json(CASE WHEN c.\"notnull\" = 0 AND c.pk = 0 THEN 'true' ELSE 'false' END),"
  "   'default', c.dflt_value, 'position', c.cid + 1)) FROM (SELECT * FROM pragma_table_info(m.name) ORDER BY cid) c),"
  " 'constraints', (SELECT json_group_array(json(k.j)) FROM ("
  "   SELECT 'primary_key' AS n, json_object('type', 'primary_key', 'name', m.name || '_pkey', 'columns',"
  "     (SELECT json_group_array(p.name) FROM (SELECT name FROM pragma_table_info(m.name) WHERE pk > 0 ORDER BY pk) p)) AS j"
  "     WHERE EXISTS (SELECT 1 FROM pragma_table_info(m.name) WHERE pk > 0)"
  "   UNION ALL"
  "   SELECT 'foreign_key_' || printf('%%04d', f.id), json_object('type', 'foreign_key', 'name', m.name || '_fk' || f.id,"
  "     'columns', (SELECT json_group_array(x.\"from\") FROM (SELECT * FROM pragma_foreign_key_list(m.name) WHERE id = f.id ORDER BY seq) x),"
  "     'referenced_schema', 'main', 'referenced_table', f.\"table\","
  "     'referenced_columns', (SELECT json_group_array(x.\"to\") FROM (SELECT * FROM pragma_foreign_key_list(m.name) WHERE id = f.id ORDER BY seq) x))"
  "     FROM (SELECT DISTINCT id, \"table\" FROM pragma_foreign_key_list(m.name)) f"
  "   UNION ALL"
  "   SELECT 'unique_' || i.name, json_object('type', 'unique', 'name', i.name,"
  "     'columns', (SELECT json_group_array(ii.name) FROM (SELECT name FROM pragma_index_info(i.name) ORDER BY seqno) ii))"
  "     FROM pragma_index_list(m.name) i WHERE i.\"unique\" = 1 AND i.origin IN ('u', 'c')"
  "   ORDER BY 1) k))";

static mcpk_status s_scan(mcpk_connection *c, const mcpk_scan_args *a, mcpk_string *out, mcpk_error *err) {
  if (a->schema && strcmp(a->schema, "main") != 0) {
    char msg[256];
    snprintf(msg, sizeof msg, "schema \"%s\" does not exist", a->schema);
    return set_error(err, MCPK_STATUS_NOT_FOUND, 0, "3F000", msg);
  }
  if (a->table) {
    sqlite3_stmt *chk = NULL;
    sqlite3_prepare_v2(c->db, "SELECT 1 FROM sqlite_schema WHERE type IN ('table','view') AND name = ?1", -1, &chk, NULL);
    sqlite3_bind_text(chk, 1, a->table, -1, SQLITE_TRANSIENT);
    int found = chk && sqlite3_step(chk) == SQLITE_ROW;
    sqlite3_finalize(chk);
    if (!found) {
      char msg[256];
      snprintf(msg, sizeof msg, "table \"%s\" does not exist", a->table);
      return set_error(err, MCPK_STATUS_NOT_FOUND, 0, "42P01", msg);
    }
  }
  char *sql;
  if (a->depth <= MCPK_SCAN_SCHEMAS) {
    sql = sqlite3_mprintf("SELECT json_object('schemas', json_array(json_object('name', 'main')))");
  } else {
    sql = sqlite3_mprintf(SCAN_TABLES_SQL, a->depth >= MCPK_SCAN_COLUMNS ? TABLE_DEEP : TABLE_SHALLOW);
  }
  if (!sql) return MCPK_STATUS_NO_MEMORY;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(c->db, sql, -1, &st, NULL);
  sqlite3_free(sql);
  if (rc != SQLITE_OK) return db_error(c, err, rc);
  if (sqlite3_bind_parameter_count(st) >= 1) {
    if (a->table) sqlite3_bind_text(st, 1, a->table, -1, SQLITE_TRANSIENT);
    else sqlite3_bind_null(st, 1);
  }
  rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) { mcpk_status s = db_error(c, err, rc); sqlite3_finalize(st); return s; }
  mp_put_string(out, (const char *)sqlite3_column_text(st, 0), (size_t)sqlite3_column_bytes(st, 0));
  sqlite3_finalize(st);
  return out->data ? MCPK_STATUS_OK : MCPK_STATUS_NO_MEMORY;
}

static const mcpk_connector connector = {
  sizeof(mcpk_connector), s_open, s_close, s_test, s_execute, s_cancel, s_scan,
};

static const char *SCHEMA =
  "{\"type\":\"object\",\"required\":[\"path\"],\"properties\":{"
  "\"path\":{\"type\":\"string\",\"description\":\"Database file\"},"
  "\"read_only\":{\"type\":\"boolean\",\"default\":false},"
  "\"create\":{\"type\":\"boolean\",\"default\":false,\"description\":\"Create the file if missing\"},"
  "\"busy_timeout_ms\":{\"type\":\"integer\",\"minimum\":0,\"default\":5000}}}";

MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host; (void)err;
  if (host_abi != MCPK_ABI_VERSION_1_0_0) return MCPK_STATUS_NOT_IMPLEMENTED;
  if (out_size < MCPK_PLUGIN_SIZE_1_0_0) return MCPK_STATUS_INVALID_ARGUMENT;
  mp_describe_connector(out, MCPK_ABI_VERSION_1_0_0, "sqlite", "SQLite databases (libsqlite3)", SCHEMA, &connector);
  return MCPK_STATUS_OK;
}
