/*
 * postgres: the bundled PostgreSQL connector (libpq).
 *
 * Config: host, port, database, user, sslmode, sslrootcert, sslcert, sslkey,
 * application_name, read_only, statement_timeout_ms, or a `url`; the password
 * is the connection's secret. Parameters use $1…, sent with the extended
 * protocol. A query runs through a server-side cursor fetched in batches
 * (with max_rows: at most max_rows+1 rows in all, so the server never sends
 * more than one extra row); statements that cannot be a cursor (DML with
 * RETURNING, data-modifying WITH) stream in single-row mode. Timeouts are the server's
 * statement_timeout; cancel is PQcancel (any thread). Read-only connections
 * set default_transaction_read_only and refuse non-query statements before
 * sending them. Errors carry the server's SQLSTATE.
 */
#define _POSIX_C_SOURCE 200809L
#include "mcpk/plugin.h"
#include "mcpk_plugin_support.h"

#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <ctype.h>

/* Rows fetched per FETCH when streaming a cursor. */
#define PG_FETCH_BATCH 10000

struct mcpk_connection {
  PGconn *pg;
  PGcancel *cancel;
  int read_only;
  long long statement_timeout_ms; /* the session's current setting */
  long long default_timeout_ms;
  atomic_int cancelled;
};

static mcpk_status set_error(mcpk_error *err, mcpk_status st, const char *sqlstate, const char *msg) {
  if (err) {
    if (err->release) err->release(err);
    size_t n = strlen(msg ? msg : "postgres error");
    err->message = strdup(msg ? msg : "postgres error");
    /* drop libpq's trailing newline */
    while (err->message && n > 0 && (err->message[n - 1] == '\n' || err->message[n - 1] == ' ')) err->message[--n] = 0;
    memset(err->sqlstate, 0, sizeof err->sqlstate);
    if (sqlstate) strncpy(err->sqlstate, sqlstate, 5);
    err->release = mp_error_release;
  }
  return st;
}

static mcpk_status status_for(const char *state, const char *msg) {
  if (!state) return MCPK_STATUS_IO;
  if (strcmp(state, "57014") == 0) return (msg && strstr(msg, "statement timeout")) ? MCPK_STATUS_TIMEOUT : MCPK_STATUS_CANCELLED;
  if (strncmp(state, "28", 2) == 0) return MCPK_STATUS_UNAUTHENTICATED;
  if (strcmp(state, "42501") == 0 || strcmp(state, "25006") == 0) return MCPK_STATUS_FORBIDDEN;
  if (strcmp(state, "42P01") == 0 || strcmp(state, "42703") == 0 || strcmp(state, "3F000") == 0 ||
      strcmp(state, "42883") == 0 || strcmp(state, "3D000") == 0) return MCPK_STATUS_NOT_FOUND;
  if (strncmp(state, "42", 2) == 0 || strncmp(state, "22", 2) == 0 || strncmp(state, "23", 2) == 0 ||
      strncmp(state, "0A", 2) == 0 || strncmp(state, "08P01", 5) == 0 || strncmp(state, "26", 2) == 0) return MCPK_STATUS_INVALID_ARGUMENT;
  if (strncmp(state, "25", 2) == 0) return MCPK_STATUS_INVALID_STATE;
  if (strncmp(state, "53", 2) == 0) return MCPK_STATUS_NO_MEMORY;
  return MCPK_STATUS_IO;
}

static mcpk_status result_error(mcpk_connection *c, PGresult *r, mcpk_error *err) {
  const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
  const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
  const char *msg = primary ? primary : (r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
  if (!msg || !*msg) msg = PQerrorMessage(c->pg);
  if (PQstatus(c->pg) == CONNECTION_BAD && !state) return set_error(err, MCPK_STATUS_IO, "08006", msg);
  return set_error(err, status_for(state, msg), state, msg);
}

/* Runs a command; OK or error. */
static mcpk_status run(mcpk_connection *c, const char *sql, mcpk_error *err) {
  PGresult *r = PQexec(c->pg, sql);
  ExecStatusType s = PQresultStatus(r);
  mcpk_status st = (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK) ? MCPK_STATUS_OK : result_error(c, r, err);
  PQclear(r);
  return st;
}

static mcpk_status pg_open(void *pd, const mcpk_connect_args *a, mcpk_connection **out, mcpk_error *err) {
  (void)pd;
  const char *keys[20], *vals[20];
  int n = 0;
  char timeout[32];
  const char *url = mp_option(a, "url");
  if (url) { keys[n] = "dbname"; vals[n++] = url; }
  static const char *map[][2] = {{"host", "host"}, {"port", "port"}, {"database", "dbname"}, {"user", "user"},
                                 {"sslmode", "sslmode"}, {"sslrootcert", "sslrootcert"}, {"sslcert", "sslcert"},
                                 {"sslkey", "sslkey"}, {"application_name", "application_name"}};
  for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
    const char *v = mp_option(a, map[i][0]);
    if (v) { keys[n] = map[i][1]; vals[n++] = v; }
  }
  if (!url && !mp_option(a, "host")) return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, NULL, "config.host (or config.url) is required");
  if (a->secret) { keys[n] = "password"; vals[n++] = a->secret; }
  long long ct = a->connect_timeout_ms > 0 ? a->connect_timeout_ms : 10000;
  const char *cto = mp_option(a, "connect_timeout_ms");
  if (cto) ct = atoll(cto);
  snprintf(timeout, sizeof timeout, "%lld", ct < 2000 ? 2 : (ct + 999) / 1000);
  keys[n] = "connect_timeout"; vals[n++] = timeout;
  if (!mp_option(a, "application_name")) { keys[n] = "application_name"; vals[n++] = "mcpk"; }
  keys[n] = NULL; vals[n] = NULL;

  PGconn *pg = PQconnectdbParams(keys, vals, url ? 1 : 0);
  if (!pg) return set_error(err, MCPK_STATUS_NO_MEMORY, NULL, "out of memory");
  if (PQstatus(pg) != CONNECTION_OK) {
    const char *msg = PQerrorMessage(pg);
    mcpk_status st = MCPK_STATUS_IO;
    const char *state = "08001";
    if (strstr(msg, "password authentication failed") || strstr(msg, "no password supplied") ||
        strstr(msg, "authentication failed")) { st = MCPK_STATUS_UNAUTHENTICATED; state = "28P01"; }
    else if (strstr(msg, "does not exist")) { st = MCPK_STATUS_NOT_FOUND; state = "3D000"; }
    else if (strstr(msg, "timeout")) { st = MCPK_STATUS_TIMEOUT; }
    set_error(err, st, state, msg);
    PQfinish(pg);
    return st;
  }
  mcpk_connection *c = calloc(1, sizeof *c);
  if (!c) { PQfinish(pg); return MCPK_STATUS_NO_MEMORY; }
  c->pg = pg;
  c->cancel = PQgetCancel(pg);
  const char *ro = mp_option(a, "read_only");
  c->read_only = ro && strcmp(ro, "true") == 0;
  const char *st = mp_option(a, "statement_timeout_ms");
  c->default_timeout_ms = st ? atoll(st) : 0;
  mcpk_status s = run(c, "SET client_encoding = 'UTF8'", err);
  if (s == MCPK_STATUS_OK && c->read_only) s = run(c, "SET default_transaction_read_only = on", err);
  if (s == MCPK_STATUS_OK) s = run(c, "SET statement_timeout = 0", err);
  if (s != MCPK_STATUS_OK) {
    PQfreeCancel(c->cancel);
    PQfinish(pg);
    free(c);
    return s;
  }
  *out = c;
  return MCPK_STATUS_OK;
}

static void pg_close(mcpk_connection *c) {
  if (!c) return;
  PQfreeCancel(c->cancel);
  PQfinish(c->pg);
  free(c);
}

static mcpk_status pg_test(mcpk_connection *c, mcpk_string *version, mcpk_error *err) {
  PGresult *r = PQexec(c->pg, "SELECT version()");
  if (PQresultStatus(r) != PGRES_TUPLES_OK) { mcpk_status s = result_error(c, r, err); PQclear(r); return s; }
  const char *v = PQgetvalue(r, 0, 0);
  mp_put_string(version, v, strlen(v));
  PQclear(r);
  return MCPK_STATUS_OK;
}

static mcpk_status pg_cancel(mcpk_connection *c) {
  char buf[256];
  atomic_store(&c->cancelled, 1);
  if (c->cancel) PQcancel(c->cancel, buf, sizeof buf);
  return MCPK_STATUS_OK;
}

static int32_t type_for(Oid oid) {
  switch (oid) {
    case 16: return MCPK_TYPE_BOOL;
    case 20: case 21: case 23: case 26: case 28: return MCPK_TYPE_INT64;
    case 700: case 701: return MCPK_TYPE_DOUBLE;
    case 17: return MCPK_TYPE_BYTES;
    default: return MCPK_TYPE_TEXT;
  }
}

static const char *type_name_for(Oid oid) {
  switch (oid) {
    case 16: return "bool"; case 17: return "bytea"; case 20: return "int8"; case 21: return "int2";
    case 23: return "int4"; case 25: return "text"; case 26: return "oid"; case 114: return "json";
    case 700: return "float4"; case 701: return "float8"; case 1042: return "bpchar"; case 1043: return "varchar";
    case 1082: return "date"; case 1083: return "time"; case 1114: return "timestamp"; case 1184: return "timestamptz";
    case 1700: return "numeric"; case 2950: return "uuid"; case 3802: return "jsonb"; case 19: return "name";
    default: return NULL;
  }
}

/* First keyword of a statement, skipping blanks, comments and parentheses. */
static void first_keyword(const char *sql, char *out, size_t size) {
  const char *p = sql;
  for (;;) {
    while (*p && (isspace((unsigned char)*p) || *p == '(')) p++;
    if (p[0] == '-' && p[1] == '-') { while (*p && *p != '\n') p++; continue; }
    if (p[0] == '/' && p[1] == '*') { const char *e = strstr(p + 2, "*/"); p = e ? e + 2 : p + strlen(p); continue; }
    break;
  }
  size_t i = 0;
  while (*p && isalpha((unsigned char)*p) && i < size - 1) out[i++] = (char)toupper((unsigned char)*p++);
  out[i] = 0;
}

static int is_query_keyword(const char *k) {
  return !strcmp(k, "SELECT") || !strcmp(k, "WITH") || !strcmp(k, "VALUES") || !strcmp(k, "TABLE");
}

/* Parameters as libpq text (bytes as binary). */
typedef struct {
  int n;
  char **owned;
  const char **values;
  int *lengths;
  int *formats;
} params_t;

static void params_free(params_t *p) {
  for (int i = 0; i < p->n; i++) free(p->owned[i]);
  free(p->owned); free(p->values); free(p->lengths); free(p->formats);
}

static int params_make(params_t *p, const mcpk_query *q) {
  int n = (int)q->param_count;
  p->n = n;
  p->owned = calloc((size_t)(n ? n : 1), sizeof(char *));
  p->values = calloc((size_t)(n ? n : 1), sizeof(char *));
  p->lengths = calloc((size_t)(n ? n : 1), sizeof(int));
  p->formats = calloc((size_t)(n ? n : 1), sizeof(int));
  if (!p->owned || !p->values || !p->lengths || !p->formats) return 0;
  for (int i = 0; i < n; i++) {
    const mcpk_value *v = &q->params[i];
    char buf[64];
    switch (v->type) {
      case MCPK_TYPE_NULL: p->values[i] = NULL; continue;
      case MCPK_TYPE_BOOL: p->owned[i] = strdup(v->v.b ? "true" : "false"); break;
      case MCPK_TYPE_INT64: snprintf(buf, sizeof buf, "%lld", (long long)v->v.i); p->owned[i] = strdup(buf); break;
      case MCPK_TYPE_DOUBLE: snprintf(buf, sizeof buf, "%.17g", v->v.d); p->owned[i] = strdup(buf); break;
      case MCPK_TYPE_BYTES:
        p->owned[i] = malloc(v->v.s.length + 1);
        if (p->owned[i]) memcpy(p->owned[i], v->v.s.data, v->v.s.length);
        p->lengths[i] = (int)v->v.s.length;
        p->formats[i] = 1;
        break;
      default:
        p->owned[i] = malloc(v->v.s.length + 1);
        if (p->owned[i]) { memcpy(p->owned[i], v->v.s.data, v->v.s.length); p->owned[i][v->v.s.length] = 0; }
        break;
    }
    if (!p->owned[i]) return 0;
    p->values[i] = p->owned[i];
  }
  return 1;
}

typedef struct {
  int ncols;
  mcpk_column *cols;
  mcpk_value *cells;
  unsigned char **unescaped;
} rowbuf_t;

static int rowbuf_init(rowbuf_t *b, PGresult *r) {
  b->ncols = PQnfields(r);
  size_t n = (size_t)(b->ncols ? b->ncols : 1);
  b->cols = calloc(n, sizeof *b->cols);
  b->cells = calloc(n, sizeof *b->cells);
  b->unescaped = calloc(n, sizeof *b->unescaped);
  if (!b->cols || !b->cells || !b->unescaped) return 0;
  for (int i = 0; i < b->ncols; i++) {
    b->cols[i].name = PQfname(r, i);
    b->cols[i].type = type_for(PQftype(r, i));
    b->cols[i].type_name = type_name_for(PQftype(r, i));
  }
  return 1;
}

static void rowbuf_free(rowbuf_t *b) {
  if (b->unescaped) for (int i = 0; i < b->ncols; i++) PQfreemem(b->unescaped[i]);
  free(b->cols); free(b->cells); free(b->unescaped);
}

/* Types whose binary wire format deliver_row decodes. */
static int binary_ok(Oid oid) {
  switch (oid) {
    case 16: case 17: case 19: case 20: case 21: case 23: case 25: case 26: case 114:
    case 700: case 701: case 1042: case 1043: return 1;
    default: return 0;
  }
}

static uint64_t be64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v = (v << 8) | p[i];
  return v;
}

static uint32_t be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* One binary cell (only for binary_ok types). */
static void decode_binary(mcpk_value *v, Oid oid, const unsigned char *p, int len) {
  switch (oid) {
    case 16: v->type = MCPK_TYPE_BOOL; v->v.b = len > 0 && p[0] != 0; return;
    case 21: v->type = MCPK_TYPE_INT64; v->v.i = (int16_t)(((uint16_t)p[0] << 8) | p[1]); return;
    case 23: v->type = MCPK_TYPE_INT64; v->v.i = (int32_t)be32(p); return;
    case 26: v->type = MCPK_TYPE_INT64; v->v.i = (int64_t)be32(p); return;
    case 20: v->type = MCPK_TYPE_INT64; v->v.i = (int64_t)be64(p); return;
    case 700: { uint32_t bits = be32(p); float f; memcpy(&f, &bits, 4); v->type = MCPK_TYPE_DOUBLE; v->v.d = f; return; }
    case 701: { uint64_t bits = be64(p); double d; memcpy(&d, &bits, 8); v->type = MCPK_TYPE_DOUBLE; v->v.d = d; return; }
    case 17: v->type = MCPK_TYPE_BYTES; v->v.s.data = (const char *)p; v->v.s.length = (size_t)len; return;
    default: v->type = MCPK_TYPE_TEXT; v->v.s.data = (const char *)p; v->v.s.length = (size_t)len; return;
  }
}

static mcpk_status deliver_row(rowbuf_t *b, PGresult *r, int row, const mcpk_row_sink *sink) {
  for (int i = 0; i < b->ncols; i++) {
    mcpk_value *v = &b->cells[i];
    if (PQgetisnull(r, row, i)) { v->type = MCPK_TYPE_NULL; continue; }
    const char *s = PQgetvalue(r, row, i);
    if (PQfformat(r, i) == 1) {
      decode_binary(v, PQftype(r, i), (const unsigned char *)s, PQgetlength(r, row, i));
      continue;
    }
    switch (b->cols[i].type) {
      case MCPK_TYPE_BOOL: v->type = MCPK_TYPE_BOOL; v->v.b = s[0] == 't'; break;
      case MCPK_TYPE_INT64: v->type = MCPK_TYPE_INT64; v->v.i = strtoll(s, NULL, 10); break;
      case MCPK_TYPE_DOUBLE: v->type = MCPK_TYPE_DOUBLE; v->v.d = strtod(s, NULL); break;
      case MCPK_TYPE_BYTES: {
        size_t len = 0;
        PQfreemem(b->unescaped[i]);
        b->unescaped[i] = PQunescapeBytea((const unsigned char *)s, &len);
        v->type = MCPK_TYPE_BYTES; v->v.s.data = (const char *)b->unescaped[i]; v->v.s.length = len;
        break;
      }
      default: v->type = MCPK_TYPE_TEXT; v->v.s.data = s; v->v.s.length = (size_t)PQgetlength(r, row, i); break;
    }
  }
  return sink->row(sink->sink_data, b->cells, (size_t)b->ncols);
}

static void drain(mcpk_connection *c) {
  PGresult *r;
  while ((r = PQgetResult(c->pg))) PQclear(r);
}

static mcpk_status set_timeout(mcpk_connection *c, long long ms, mcpk_error *err) {
  if (ms == c->statement_timeout_ms) return MCPK_STATUS_OK;
  char sql[64];
  snprintf(sql, sizeof sql, "SET statement_timeout = %lld", ms);
  mcpk_status s = run(c, sql, err);
  if (s == MCPK_STATUS_OK) c->statement_timeout_ms = ms;
  return s;
}

/* Streams every row in single-row mode; with max_rows it stops the server with a cancel. */
static mcpk_status exec_stream(mcpk_connection *c, const mcpk_query *q, params_t *p, const mcpk_row_sink *sink, mcpk_error *err) {
  if (!PQsendQueryParams(c->pg, q->sql, p->n, NULL, p->values, p->lengths, p->formats, 0))
    return set_error(err, MCPK_STATUS_IO, "08006", PQerrorMessage(c->pg));
  PQsetSingleRowMode(c->pg);
  mcpk_status st = MCPK_STATUS_OK;
  int announced = 0, truncated = 0, stopped = 0;
  long long delivered = 0, affected = -1;
  rowbuf_t b = {0};
  PGresult *r;
  while ((r = PQgetResult(c->pg))) {
    ExecStatusType s = PQresultStatus(r);
    if (stopped) { PQclear(r); continue; }
    if (s == PGRES_SINGLE_TUPLE || s == PGRES_TUPLES_OK) {
      if (!announced) {
        announced = 1;
        if (!rowbuf_init(&b, r)) { st = MCPK_STATUS_NO_MEMORY; stopped = 1; PQclear(r); pg_cancel(c); continue; }
        st = sink->columns(sink->sink_data, b.cols, (size_t)b.ncols);
        if (st) { stopped = 1; PQclear(r); pg_cancel(c); continue; }
      }
      if (s == PGRES_SINGLE_TUPLE) {
        if (q->max_rows >= 0 && delivered >= q->max_rows) {
          truncated = 1; stopped = 1; pg_cancel(c);
        } else {
          st = deliver_row(&b, r, 0, sink);
          delivered++;
          if (st) { stopped = 1; pg_cancel(c); }
        }
      }
    } else if (s == PGRES_COMMAND_OK) {
      const char *t = PQcmdTuples(r);
      if (t && *t) affected = atoll(t);
    } else {
      st = result_error(c, r, err);
      stopped = 1;
    }
    PQclear(r);
  }
  rowbuf_free(&b);
  if (truncated && st == MCPK_STATUS_OK) {
    if (err && err->release) err->release(err);
    memset(err, 0, sizeof *err);
  }
  if (st != MCPK_STATUS_OK) return st;
  if (!announced && (st = sink->columns(sink->sink_data, NULL, 0))) return st;
  return sink->end(sink->sink_data, truncated, affected);
}

/* A query with max_rows: a cursor, FETCH max_rows+1, so the server never
 * produces more than one row beyond the limit. Returns NOT_IMPLEMENTED when
 * the statement cannot be a cursor (the caller then streams). */
static mcpk_status exec_cursor(mcpk_connection *c, const mcpk_query *q, params_t *p, const mcpk_row_sink *sink, mcpk_error *err) {
  mcpk_status st = run(c, c->read_only ? "BEGIN READ ONLY" : "BEGIN", err);
  if (st) return st;
  size_t len = strlen(q->sql) + 64;
  char *declare = malloc(len);
  if (!declare) { run(c, "ROLLBACK", NULL); return MCPK_STATUS_NO_MEMORY; }
  snprintf(declare, len, "DECLARE mcpk_cursor NO SCROLL CURSOR FOR %s", q->sql);
  PGresult *r = PQexecParams(c->pg, declare, p->n, NULL, p->values, p->lengths, p->formats, 0);
  free(declare);
  if (PQresultStatus(r) != PGRES_COMMAND_OK) {
    const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    int not_cursor = state && (strcmp(state, "0A000") == 0 || strcmp(state, "42601") == 0);
    if (!not_cursor) st = result_error(c, r, err);
    PQclear(r);
    run(c, "ROLLBACK", NULL);
    return not_cursor ? MCPK_STATUS_NOT_IMPLEMENTED : st;
  }
  PQclear(r);
  /* FETCH in batches; with max_rows, never more than max_rows+1 rows in all. */
  long long delivered = 0;
  int announced = 0, truncated = 0, binary = 0;
  for (;;) {
    long long want = PG_FETCH_BATCH;
    if (q->max_rows >= 0 && q->max_rows - delivered + 1 < want) want = q->max_rows - delivered + 1;
    char fetch[96];
    snprintf(fetch, sizeof fetch, "FETCH FORWARD %lld FROM mcpk_cursor", want);
    /* The first batch comes as text; when every column has a binary format
     * we decode, later batches come binary (no number parsing). */
    r = PQexecParams(c->pg, fetch, 0, NULL, NULL, NULL, NULL, binary);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      st = result_error(c, r, err);
      PQclear(r);
      run(c, "ROLLBACK", NULL);
      return st;
    }
    rowbuf_t b = {0};
    if (!rowbuf_init(&b, r)) { rowbuf_free(&b); PQclear(r); run(c, "ROLLBACK", NULL); return MCPK_STATUS_NO_MEMORY; }
    if (!announced) {
      announced = 1;
      st = sink->columns(sink->sink_data, b.cols, (size_t)b.ncols);
      binary = 1;
      for (int i = 0; i < b.ncols; i++) if (!binary_ok(PQftype(r, i))) binary = 0;
    }
    int n = PQntuples(r);
    for (int i = 0; st == MCPK_STATUS_OK && i < n; i++) {
      if (q->max_rows >= 0 && delivered >= q->max_rows) { truncated = 1; break; }
      st = deliver_row(&b, r, i, sink);
      delivered++;
    }
    rowbuf_free(&b);
    PQclear(r);
    if (st != MCPK_STATUS_OK || truncated || n < want) break;
    if (atomic_load(&c->cancelled)) { st = set_error(err, MCPK_STATUS_CANCELLED, "57014", "canceling statement due to user request"); break; }
  }
  if (st) { run(c, "ROLLBACK", NULL); return st; }
  mcpk_status end = run(c, "COMMIT", err);
  if (end) return end;
  return sink->end(sink->sink_data, truncated, -1);
}

static mcpk_status pg_execute(mcpk_connection *c, const mcpk_query *q, const mcpk_row_sink *sink, mcpk_error *err) {
  atomic_store(&c->cancelled, 0);
  char kw[16];
  first_keyword(q->sql, kw, sizeof kw);
  int query = is_query_keyword(kw);
  if (c->read_only && !query && strcmp(kw, "SHOW") != 0 && strcmp(kw, "EXPLAIN") != 0)
    return set_error(err, MCPK_STATUS_FORBIDDEN, "25006", "cannot execute a write statement on a read-only connection");
  long long timeout = q->timeout_ms > 0 ? q->timeout_ms : c->default_timeout_ms;
  mcpk_status st = set_timeout(c, timeout, err);
  if (st) return st;
  params_t p = {0};
  if (!params_make(&p, q)) { params_free(&p); return MCPK_STATUS_NO_MEMORY; }
  st = MCPK_STATUS_NOT_IMPLEMENTED;
  if (query && PQtransactionStatus(c->pg) == PQTRANS_IDLE) st = exec_cursor(c, q, &p, sink, err);
  if (st == MCPK_STATUS_NOT_IMPLEMENTED) st = exec_stream(c, q, &p, sink, err);
  params_free(&p);
  if (PQstatus(c->pg) != CONNECTION_OK) PQreset(c->pg);
  return st;
}

/* ---- scan: one statement builds the JSON document on the server ---- */

static const char *SCAN_HEAD =
  "SELECT json_build_object('schemas', coalesce(json_agg(s.j ORDER BY s.name), '[]'::json))::text FROM ("
  " SELECT n.nspname AS name, json_build_object('name', n.nspname%s) AS j"
  " FROM pg_namespace n"
  " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_toast%%'"
  "  AND n.nspname NOT LIKE 'pg\\_temp\\_%%' AND ($1::text IS NULL OR n.nspname = $1::text)) s";

static const char *SCAN_TABLES =
  ", 'tables', (SELECT coalesce(json_agg(t.j ORDER BY t.name), '[]'::json) FROM ("
  "  SELECT c.relname AS name, json_build_object('name', c.relname, 'type',"
  "   CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' WHEN 'f' THEN 'foreign_table' ELSE 'table' END%s) AS j"
  "  FROM pg_class c WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
  "   AND ($2::text IS NULL OR c.relname = $2::text)) t)";

static const char *SCAN_COLUMNS =
  ", 'columns', (SELECT coalesce(json_agg(json_build_object("
  "    'name', col.column_name, 'type', format_type(a.atttypid, a.atttypmod),"
  "    'nullable', col.is_nullable = 'YES', 'default', col.column_default,"
  "    'position', col.ordinal_position) ORDER BY col.ordinal_position), '[]'::json)"
  "   FROM information_schema.columns col"
  "   JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = col.column_name::name"
  "   WHERE col.table_schema = n.nspname AND col.table_name = c.relname)"
  ", 'constraints', (SELECT coalesce(json_agg(k.j ORDER BY k.name), '[]'::json) FROM ("
  "   SELECT con.conname AS name, CASE WHEN con.contype = 'f' THEN json_build_object("
  "      'type', 'foreign_key', 'name', con.conname,"
  "      'columns', (SELECT json_agg(att.attname ORDER BY u.ord) FROM unnest(con.conkey) WITH ORDINALITY u(attnum, ord)"
  "                  JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = u.attnum),"
  "      'referenced_schema', rn.nspname, 'referenced_table', rc.relname,"
  "      'referenced_columns', (SELECT json_agg(att.attname ORDER BY u.ord) FROM unnest(con.confkey) WITH ORDINALITY u(attnum, ord)"
  "                  JOIN pg_attribute att ON att.attrelid = con.confrelid AND att.attnum = u.attnum))"
  "    ELSE json_build_object('type', CASE con.contype WHEN 'p' THEN 'primary_key' ELSE 'unique' END, 'name', con.conname,"
  "      'columns', (SELECT json_agg(att.attname ORDER BY u.ord) FROM unnest(con.conkey) WITH ORDINALITY u(attnum, ord)"
  "                  JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = u.attnum)) END AS j"
  "   FROM pg_constraint con"
  "   LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace"
  "   WHERE con.conrelid = c.oid AND con.contype IN ('p', 'u', 'f')) k)";

static mcpk_status exists(mcpk_connection *c, const char *sql, const char *a, const char *b, int *found, mcpk_error *err) {
  const char *vals[2] = {a, b};
  PGresult *r = PQexecParams(c->pg, sql, b ? 2 : 1, NULL, vals, NULL, NULL, 0);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) { mcpk_status s = result_error(c, r, err); PQclear(r); return s; }
  *found = PQntuples(r) > 0;
  PQclear(r);
  return MCPK_STATUS_OK;
}

static mcpk_status pg_scan(mcpk_connection *c, const mcpk_scan_args *a, mcpk_string *out, mcpk_error *err) {
  int found = 1;
  mcpk_status st;
  char msg[512];
  if (a->schema) {
    if ((st = exists(c, "SELECT 1 FROM pg_namespace WHERE nspname = $1", a->schema, NULL, &found, err))) return st;
    if (!found) { snprintf(msg, sizeof msg, "schema \"%s\" does not exist", a->schema); return set_error(err, MCPK_STATUS_NOT_FOUND, "3F000", msg); }
  }
  if (a->table) {
    if (a->schema) st = exists(c, "SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2", a->schema, a->table, &found, err);
    else st = exists(c, "SELECT 1 FROM pg_class WHERE relname = $1 AND relkind IN ('r','p','v','m','f')", a->table, NULL, &found, err);
    if (st) return st;
    if (!found) { snprintf(msg, sizeof msg, "relation \"%s\" does not exist", a->table); return set_error(err, MCPK_STATUS_NOT_FOUND, "42P01", msg); }
  }
  char *tables = NULL, *sql = NULL;
  size_t tl = strlen(SCAN_TABLES) + strlen(SCAN_COLUMNS) + 16;
  tables = malloc(tl);
  if (!tables) return MCPK_STATUS_NO_MEMORY;
  if (a->depth >= MCPK_SCAN_TABLES) snprintf(tables, tl, SCAN_TABLES, a->depth >= MCPK_SCAN_COLUMNS ? SCAN_COLUMNS : "");
  else tables[0] = 0;
  size_t sl = strlen(SCAN_HEAD) + strlen(tables) + 16;
  sql = malloc(sl);
  if (!sql) { free(tables); return MCPK_STATUS_NO_MEMORY; }
  snprintf(sql, sl, SCAN_HEAD, tables);
  free(tables);
  const char *vals[2] = {a->schema, a->table};
  PGresult *r = PQexecParams(c->pg, sql, a->depth >= MCPK_SCAN_TABLES ? 2 : 1, NULL, vals, NULL, NULL, 0);
  free(sql);
  if (PQresultStatus(r) != PGRES_TUPLES_OK) { st = result_error(c, r, err); PQclear(r); return st; }
  const char *json = PQgetvalue(r, 0, 0);
  mp_put_string(out, json, strlen(json));
  PQclear(r);
  return out->data ? MCPK_STATUS_OK : MCPK_STATUS_NO_MEMORY;
}

static const mcpk_connector connector = {
  sizeof(mcpk_connector), pg_open, pg_close, pg_test, pg_execute, pg_cancel, pg_scan,
};

static const char *SCHEMA =
  "{\"type\":\"object\",\"properties\":{"
  "\"url\":{\"type\":\"string\",\"description\":\"postgres:// URL (instead of host/port/...)\"},"
  "\"host\":{\"type\":\"string\"},\"port\":{\"type\":\"integer\",\"default\":5432},"
  "\"database\":{\"type\":\"string\"},\"user\":{\"type\":\"string\"},"
  "\"sslmode\":{\"type\":\"string\",\"enum\":[\"disable\",\"allow\",\"prefer\",\"require\",\"verify-ca\",\"verify-full\"]},"
  "\"sslrootcert\":{\"type\":\"string\"},\"sslcert\":{\"type\":\"string\"},\"sslkey\":{\"type\":\"string\"},"
  "\"application_name\":{\"type\":\"string\"},"
  "\"connect_timeout_ms\":{\"type\":\"integer\",\"minimum\":0},"
  "\"statement_timeout_ms\":{\"type\":\"integer\",\"minimum\":0},"
  "\"read_only\":{\"type\":\"boolean\",\"default\":false}}}";

MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)host; (void)err;
  if (host_abi != MCPK_ABI_VERSION_1_0_0) return MCPK_STATUS_NOT_IMPLEMENTED;
  if (out_size < MCPK_PLUGIN_SIZE_1_0_0) return MCPK_STATUS_INVALID_ARGUMENT;
  mp_describe_connector(out, MCPK_ABI_VERSION_1_0_0, "postgres", "PostgreSQL databases (libpq)", SCHEMA, &connector);
  return MCPK_STATUS_OK;
}
