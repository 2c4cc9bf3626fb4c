/*
 * testops: a test plugin for the kernel's own tests. A connector whose
 * "statements" are commands (seq N, sleep MS, fail, crash) and three extra
 * operations with different libffi signatures.
 */
#include "mcpk/plugin.h"

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const mcpk_host *g_host;

struct mcpk_connection {
  atomic_int cancelled;
  long long opened_rows; /* config "rows": default row count for "seq" */
};

static void release_error(mcpk_error *e) { free(e->message); e->message = NULL; }

static mcpk_status fail(mcpk_error *err, mcpk_status st, const char *sqlstate, const char *msg) {
  if (err) {
    err->message = strdup(msg);
    if (sqlstate) memcpy(err->sqlstate, sqlstate, 5);
    err->vendor_code = 42;
    err->release = release_error;
  }
  return st;
}

static mcpk_status t_open(void *pd, const mcpk_connect_args *a, mcpk_connection **out, mcpk_error *err) {
  (void)pd;
  mcpk_connection *c = calloc(1, sizeof *c);
  if (!c) return MCPK_STATUS_NO_MEMORY;
  c->opened_rows = 3;
  for (size_t i = 0; i < a->option_count; i++) {
    if (strcmp(a->option_keys[i], "rows") == 0) c->opened_rows = atoll(a->option_values[i]);
    if (strcmp(a->option_keys[i], "refuse") == 0 && strcmp(a->option_values[i], "true") == 0) {
      free(c);
      return fail(err, MCPK_STATUS_UNAUTHENTICATED, "28P01", "refused by config");
    }
  }
  if (a->secret && strcmp(a->secret, "wrong") == 0) {
    free(c);
    return fail(err, MCPK_STATUS_UNAUTHENTICATED, "28P01", "bad secret");
  }
  *out = c;
  return MCPK_STATUS_OK;
}

static void t_close(mcpk_connection *c) { free(c); }

static void release_static(mcpk_string *s) { (void)s; }

static mcpk_status t_test(mcpk_connection *c, mcpk_string *v, mcpk_error *err) {
  (void)c; (void)err;
  v->data = "testops 1.0";
  v->length = strlen(v->data);
  v->release = release_static;
  return MCPK_STATUS_OK;
}

static mcpk_status t_cancel(mcpk_connection *c) {
  atomic_store(&c->cancelled, 1);
  return MCPK_STATUS_OK;
}

static mcpk_status t_execute(mcpk_connection *c, const mcpk_query *q, const mcpk_row_sink *sink, mcpk_error *err) {
  atomic_store(&c->cancelled, 0);
  const char *sql = q->sql;
  if (strncmp(sql, "crash", 5) == 0) {
    volatile int *volatile p = NULL;
    *p = 1; /* a plugin bug: a segfault kills the process it runs in */
    raise(SIGSEGV);
    return MCPK_STATUS_INTERNAL;
  }
  if (strncmp(sql, "fail", 4) == 0) return fail(err, MCPK_STATUS_INVALID_ARGUMENT, "42601", "syntax error at fail");
  if (strncmp(sql, "echo", 4) == 0) {
    /* one row with the host-decoded params */
    mcpk_column cols[MCPK_OP_MAX_ARGS];
    char names[MCPK_OP_MAX_ARGS][8];
    size_t n = q->param_count < MCPK_OP_MAX_ARGS ? q->param_count : MCPK_OP_MAX_ARGS;
    for (size_t i = 0; i < n; i++) {
      snprintf(names[i], sizeof names[i], "p%zu", i + 1);
      cols[i].name = names[i]; cols[i].type = q->params[i].type; cols[i].type_name = NULL;
    }
    mcpk_status st = sink->columns(sink->sink_data, cols, n);
    if (st) return st;
    if ((st = sink->row(sink->sink_data, q->params, n))) return st;
    return sink->end(sink->sink_data, 0, -1);
  }
  if (strncmp(sql, "sleep", 5) == 0) {
    long ms = atol(sql + 5);
    for (long t = 0; t < ms; t += 5) {
      if (atomic_load(&c->cancelled)) return fail(err, MCPK_STATUS_CANCELLED, "57014", "canceling statement due to user request");
      if (q->timeout_ms > 0 && t >= q->timeout_ms) return fail(err, MCPK_STATUS_TIMEOUT, "57014", "statement timeout");
      struct timespec ts = {0, 5 * 1000000L};
      nanosleep(&ts, NULL);
    }
    mcpk_column col = {"slept", MCPK_TYPE_INT64, "int8"};
    mcpk_status st = sink->columns(sink->sink_data, &col, 1);
    if (st) return st;
    mcpk_value v; v.type = MCPK_TYPE_INT64; v.v.i = ms;
    if ((st = sink->row(sink->sink_data, &v, 1))) return st;
    return sink->end(sink->sink_data, 0, -1);
  }
  if (strncmp(sql, "seq", 3) == 0) {
    long long n = sql[3] ? atoll(sql + 3) : c->opened_rows;
    mcpk_column cols[5] = {{"n", MCPK_TYPE_INT64, "int8"}, {"label", MCPK_TYPE_TEXT, "text"},
                           {"half", MCPK_TYPE_DOUBLE, "float8"}, {"even", MCPK_TYPE_BOOL, "bool"},
                           {"blob", MCPK_TYPE_BYTES, "bytea"}};
    mcpk_status st = sink->columns(sink->sink_data, cols, 5);
    if (st) return st;
    long long i;
    for (i = 0; i < n; i++) {
      if (q->max_rows >= 0 && i >= q->max_rows) break;
      if (atomic_load(&c->cancelled)) return fail(err, MCPK_STATUS_CANCELLED, "57014", "cancelled");
      char label[32];
      int len = snprintf(label, sizeof label, "row %lld", i + 1);
      mcpk_value cells[5];
      cells[0].type = MCPK_TYPE_INT64; cells[0].v.i = i + 1;
      cells[1].type = MCPK_TYPE_TEXT; cells[1].v.s.data = label; cells[1].v.s.length = (size_t)len;
      cells[2].type = MCPK_TYPE_DOUBLE; cells[2].v.d = (double)(i + 1) / 2.0;
      cells[3].type = (i % 3 == 2) ? MCPK_TYPE_NULL : MCPK_TYPE_BOOL; cells[3].v.b = ((i + 1) % 2 == 0);
      cells[4].type = MCPK_TYPE_BYTES; cells[4].v.s.data = "\x01\x02\xff"; cells[4].v.s.length = 3;
      if ((st = sink->row(sink->sink_data, cells, 5))) return st;
    }
    return sink->end(sink->sink_data, i < n, -1);
  }
  return fail(err, MCPK_STATUS_INVALID_ARGUMENT, "42601", "unknown testops command");
}

static void release_malloc_string(mcpk_string *s) { free(s->data); }

static mcpk_status t_scan(mcpk_connection *c, const mcpk_scan_args *a, mcpk_string *out, mcpk_error *err) {
  (void)c; (void)a; (void)err;
  const char *json = "{\"schemas\":[{\"name\":\"main\",\"tables\":[]}]}";
  out->data = strdup(json);
  out->length = strlen(json);
  out->release = release_malloc_string;
  return MCPK_STATUS_OK;
}

/* Extra operations. */
static char *op_repeat(const char *s, int32_t n) {
  size_t len = strlen(s);
  if (n < 0) n = 0;
  char *out = g_host->alloc(len * (size_t)n + 1);
  if (!out) return NULL;
  for (int32_t i = 0; i < n; i++) memcpy(out + len * (size_t)i, s, len);
  out[len * (size_t)n] = 0;
  return out;
}
static double op_scale(int64_t a, double f) { return (double)a * f; }
static int32_t op_is_even(int64_t a) { return a % 2 == 0; }
/* mcpk_host.emit_event of type "announce" with {"message": s}; returns the host's status. */
static int32_t op_announce(const char *s) {
  size_t n = strlen(s);
  char *payload = malloc(n * 6 + 32);
  if (!payload) return MCPK_STATUS_NO_MEMORY;
  char *p = payload + sprintf(payload, "{\"message\":\"");
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '"' || c == '\\') { *p++ = '\\'; *p++ = (char)c; }
    else if (c < 0x20) p += sprintf(p, "\\u%04x", c);
    else *p++ = (char)c;
  }
  strcpy(p, "\"}");
  mcpk_status st = g_host->emit_event(g_host->host_data, "announce", payload);
  free(payload);
  return st;
}

static const mcpk_op ops[] = {
  {"repeat", "s(si)", (mcpk_op_fn)op_repeat, NULL, "repeat a string n times"},
  {"scale", "d(ld)", (mcpk_op_fn)op_scale, NULL, "multiply an integer by a factor"},
  {"is_even", "b(l)", NULL, "mcpk_testops_is_even", "whether an integer is even (looked up by symbol)"},
  {"announce", "i(s)", (mcpk_op_fn)op_announce, NULL, "emit_event \"announce\" {message}; the host's status"},
};

MCPK_EXPORT int32_t mcpk_testops_is_even(int64_t a) { return op_is_even(a); }

static const mcpk_connector connector = {
  sizeof(mcpk_connector), t_open, t_close, t_test, t_execute, t_cancel, t_scan,
};

MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)err;
  if (host_abi != MCPK_ABI_VERSION_1_0_0) return MCPK_STATUS_NOT_IMPLEMENTED;
  if (out_size < MCPK_PLUGIN_SIZE_1_0_0) return MCPK_STATUS_INVALID_ARGUMENT;
  g_host = host;
  out->struct_size = sizeof(mcpk_plugin);
  out->abi_version = MCPK_ABI_VERSION_1_0_0;
  out->name = "testops";
  out->version = "1.0.0";
  out->description = "Test connector and extra operations";
  out->kinds = MCPK_KIND_CONNECTOR;
  out->config_schema_json = "{\"type\":\"object\",\"properties\":{\"rows\":{\"type\":\"integer\"}}}";
  out->connector = &connector;
  out->ops = ops;
  out->op_count = sizeof ops / sizeof ops[0];
  host->log(host->host_data, MCPK_LOG_INFO, "testops initialised");
  return MCPK_STATUS_OK;
}
