/* Test fixture: an in-process (`invoke`) executor plugin for "Utility", "Data" and
 * "LLM Prompt Agent" steps that
 * exercises every mcpk_invocation callback and misbehaves on request. Built at
 * test time with the documented line: cc -shared -fPIC -Iinclude invokeexec.c.
 * No JSON library: the config is matched with strstr, results are printed.
 *
 * The mode ("mode=NAME;" anywhere in the config's text):
 *   "events"  log/progress/result_preview/artifact, a bad-JSON and an unknown-type
 *             emit (their statuses are in the result), the step's secrets and
 *             whether inputs.json exists in the work dir.
 *   "query"   SELECT through the declared connection (config.connection) into the
 *             result; a query on an undeclared connection ("undeclared") reports
 *             its status and message.
 *   "call_op" testops.repeat("ab", 3) through call_op.
 *   "wait"    polls is_cancelled (progress every 50 ms) and returns CANCELLED.
 *   "ignore"  ignores cancellation: sleeps 8 s, then emits (must be dropped) and returns OK.
 *   "fail"    returns IO "boom".
 *   "timeout" returns TIMEOUT.
 *   "crash"   emits a log line, then dereferences NULL (run it under process isolation).
 */
#include <mcpk/plugin.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const mcpk_host *g_host;

/* Result strings are malloc'd here; the host frees them through release. */
static void release_string(mcpk_string *s) {
  free(s->data);
  s->data = NULL;
}

static mcpk_status give(mcpk_string *out, char *text) {
  out->data = text;
  out->length = strlen(text);
  out->release = release_string;
  return MCPK_STATUS_OK;
}

static void release_error(mcpk_error *e) {
  free(e->message);
  e->message = NULL;
}

static mcpk_status fail(mcpk_error *err, mcpk_status st, const char *msg) {
  err->message = strdup(msg);
  err->release = release_error;
  return st;
}

/* The mode is written as "mode=NAME" inside any string of the config (e.g. a
 * Utility template, a Data query or an LLM prompt), so the component validates. */
static int mode_is(const mcpk_step *step, const char *mode) {
  char pat[64];
  snprintf(pat, sizeof pat, "mode=%s;", mode);
  return strstr(step->config_json, pat) != NULL;
}

/* Row sink: appends rows as JSON arrays to a fixed buffer. */
typedef struct rows_buf {
  char text[4096];
  size_t used;
  int columns;
  int ended;
} rows_buf;

static void rb_put(rows_buf *b, const char *s) {
  size_t n = strlen(s);
  if (b->used + n + 1 >= sizeof b->text) return;
  memcpy(b->text + b->used, s, n + 1);
  b->used += n;
}

static mcpk_status sink_columns(void *d, const mcpk_column *cols, size_t n) {
  (void)cols;
  ((rows_buf *)d)->columns = (int)n;
  return MCPK_STATUS_OK;
}

static mcpk_status sink_row(void *d, const mcpk_value *cells, size_t n) {
  rows_buf *b = d;
  char tmp[256];
  rb_put(b, b->used > 1 ? ",[" : "[");
  for (size_t i = 0; i < n; i++) {
    if (i) rb_put(b, ",");
    switch (cells[i].type) {
    case MCPK_TYPE_INT64: snprintf(tmp, sizeof tmp, "%lld", (long long)cells[i].v.i); break;
    case MCPK_TYPE_TEXT: snprintf(tmp, sizeof tmp, "\"%.*s\"", (int)cells[i].v.s.length, cells[i].v.s.data); break;
    default: snprintf(tmp, sizeof tmp, "null"); break;
    }
    rb_put(b, tmp);
  }
  rb_put(b, "]");
  return MCPK_STATUS_OK;
}

static mcpk_status sink_end(void *d, int32_t truncated, int64_t affected) {
  (void)truncated;
  (void)affected;
  ((rows_buf *)d)->ended = 1;
  return MCPK_STATUS_OK;
}

static mcpk_status run_events(const mcpk_step *step, const mcpk_invocation *inv, mcpk_string *out) {
  char path[1024], msg[1200];
  mcpk_status s_log = inv->emit(inv->host_data, "log", "{\"message\":\"hello from invoke\",\"stream\":\"plugin\"}");
  mcpk_status s_progress = inv->emit(inv->host_data, "progress", "{\"fraction\":0.5,\"message\":\"half\"}");
  mcpk_status s_preview = inv->emit(inv->host_data, "result_preview", "{\"partial\":true}");
  snprintf(path, sizeof path, "%s/report.txt", step->work_dir);
  FILE *f = fopen(path, "w");
  if (f) {
    fputs("report\n", f);
    fclose(f);
  }
  snprintf(msg, sizeof msg, "{\"name\":\"report.txt\",\"path\":\"%s\",\"mime\":\"text/plain\"}", path);
  mcpk_status s_artifact = inv->emit(inv->host_data, "artifact", msg);
  mcpk_status s_outside = inv->emit(inv->host_data, "artifact", "{\"name\":\"passwd\",\"path\":\"/etc/passwd\",\"mime\":\"text/plain\"}");
  mcpk_status s_bad = inv->emit(inv->host_data, "log", "{not json");
  mcpk_status s_unknown = inv->emit(inv->host_data, "telemetry", "{}");
  snprintf(path, sizeof path, "%s/inputs.json", step->work_dir);
  int has_inputs = access(path, R_OK) == 0;
  int has_call_op = inv->struct_size >= MCPK_INVOCATION_SIZE_1_0_0 + sizeof(void (*)(void));
  size_t cap = strlen(step->inputs_json) + (step->secrets_json ? strlen(step->secrets_json) : 4) + 512;
  char *text = malloc(cap);
  if (!text) return MCPK_STATUS_NO_MEMORY;
  snprintf(text, cap,
           "{\"log\":%d,\"progress\":%d,\"preview\":%d,\"artifact\":%d,\"outside\":%d,\"bad_json\":%d,"
           "\"unknown_type\":%d,\"inputs\":%s,\"secrets\":%s,\"inputs_file\":%s,\"call_op_member\":%s,\"attempt\":%d}",
           s_log, s_progress, s_preview, s_artifact, s_outside, s_bad, s_unknown, step->inputs_json,
           step->secrets_json ? step->secrets_json : "null", has_inputs ? "true" : "false",
           has_call_op ? "true" : "false", step->attempt);
  return give(out, text);
}

static mcpk_status run_query(const mcpk_step *step, const mcpk_invocation *inv, mcpk_string *out, mcpk_error *err) {
  const char *name = strstr(step->config_json, "\"connection\":\"");
  if (!name) return fail(err, MCPK_STATUS_INVALID_ARGUMENT, "config.connection missing");
  char conn[128];
  name += strlen("\"connection\":\"");
  size_t n = strcspn(name, "\"");
  if (n >= sizeof conn) n = sizeof conn - 1;
  memcpy(conn, name, n);
  conn[n] = 0;
  rows_buf rows = {.used = 0};
  rb_put(&rows, "[");
  mcpk_row_sink sink = {sizeof(mcpk_row_sink), &rows, sink_columns, sink_row, sink_end};
  mcpk_value param = {.type = MCPK_TYPE_INT64, .v.i = 1};
  mcpk_query q = {sizeof(mcpk_query), "SELECT id, v FROM t WHERE id >= ? ORDER BY id", "[1]", &param, 1, 2, 5000};
  mcpk_error qerr = {0};
  mcpk_status st = inv->query(inv->host_data, conn, &q, &sink, &qerr);
  if (st != MCPK_STATUS_OK) {
    mcpk_status r = fail(err, st, qerr.message ? qerr.message : "query failed");
    if (qerr.release) qerr.release(&qerr);
    return r;
  }
  rb_put(&rows, "]");
  mcpk_error uerr = {0};
  rows_buf other = {.used = 0};
  mcpk_row_sink osink = {sizeof(mcpk_row_sink), &other, sink_columns, sink_row, sink_end};
  mcpk_status ust = inv->query(inv->host_data, "undeclared", &q, &osink, &uerr);
  char umsg[256];
  snprintf(umsg, sizeof umsg, "%s", uerr.message ? uerr.message : "");
  for (char *p = umsg; *p; p++)
    if (*p == '"' || *p == '\\') *p = '\'';
  if (uerr.release) uerr.release(&uerr);
  char *text = malloc(sizeof rows.text + 512);
  if (!text) return MCPK_STATUS_NO_MEMORY;
  snprintf(text, sizeof rows.text + 512, "{\"rows\":%s,\"columns\":%d,\"ended\":%s,\"undeclared\":%d,\"undeclared_message\":\"%s\"}",
           rows.text, rows.columns, rows.ended ? "true" : "false", ust, umsg);
  return give(out, text);
}

static mcpk_status run_call_op(const mcpk_invocation *inv, mcpk_string *out, mcpk_error *err) {
  if (inv->struct_size < MCPK_INVOCATION_SIZE_1_0_0 + sizeof(void (*)(void)) || !inv->call_op)
    return fail(err, MCPK_STATUS_NOT_IMPLEMENTED, "host has no call_op");
  mcpk_string r = {0};
  mcpk_error e = {0};
  mcpk_status st = inv->call_op(inv->host_data, "testops", "repeat", "[\"ab\",3]", &r, &e);
  if (st != MCPK_STATUS_OK) {
    mcpk_status ret = fail(err, st, e.message ? e.message : "call_op failed");
    if (e.release) e.release(&e);
    return ret;
  }
  mcpk_string m = {0};
  mcpk_error me = {0};
  mcpk_status missing = inv->call_op(inv->host_data, "testops", "no_such_op", "[]", &m, &me);
  if (me.release) me.release(&me);
  if (m.release) m.release(&m);
  char *text = malloc(r.length + 128);
  if (!text) return MCPK_STATUS_NO_MEMORY;
  snprintf(text, r.length + 128, "{\"repeat\":%s,\"missing\":%d}", r.data, missing);
  if (r.release) r.release(&r);
  return give(out, text);
}

static mcpk_status invoke(void *data, const mcpk_step *step, const mcpk_invocation *inv, mcpk_string *out,
                          mcpk_error *err) {
  (void)data;
  if (mode_is(step, "events")) return run_events(step, inv, out);
  if (mode_is(step, "query")) return run_query(step, inv, out, err);
  if (mode_is(step, "call_op")) return run_call_op(inv, out, err);
  if (mode_is(step, "wait")) {
    while (!inv->is_cancelled(inv->host_data)) {
      if (inv->emit(inv->host_data, "progress", "{\"message\":\"waiting\"}") == MCPK_STATUS_CANCELLED) break;
      usleep(50000);
    }
    return fail(err, MCPK_STATUS_CANCELLED, "stopped as asked");
  }
  if (mode_is(step, "ignore")) {
    inv->emit(inv->host_data, "log", "{\"message\":\"ignoring cancellation\"}");
    sleep(8);
    inv->emit(inv->host_data, "log", "{\"message\":\"late line that must be dropped\"}");
    return give(out, strdup("{\"late\":true}"));
  }
  if (mode_is(step, "fail")) return fail(err, MCPK_STATUS_IO, "boom");
  if (mode_is(step, "timeout")) return fail(err, MCPK_STATUS_TIMEOUT, "upstream took too long");
  if (mode_is(step, "crash")) {
    inv->emit(inv->host_data, "log", "{\"message\":\"about to crash\"}");
    volatile int *volatile nowhere = NULL;
    *nowhere = 1;
    return MCPK_STATUS_INTERNAL;
  }
  return fail(err, MCPK_STATUS_INVALID_ARGUMENT, "unknown mode");
}

static const char *const types[] = {"Utility", "LLM Prompt Agent", "Data"};
static const mcpk_executor executor = {sizeof(mcpk_executor), types, 3, NULL, NULL, invoke};

MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host, mcpk_plugin *out,
                                         size_t out_size, mcpk_error *err) {
  (void)err;
  if (host_abi != MCPK_ABI_VERSION_1_1_0) return MCPK_STATUS_NOT_IMPLEMENTED;
  if (out_size < sizeof(mcpk_plugin)) return MCPK_STATUS_INVALID_ARGUMENT;
  g_host = host;
  out->struct_size = sizeof(mcpk_plugin);
  out->abi_version = MCPK_ABI_VERSION_1_1_0;
  out->name = "invokeexec";
  out->version = "1.0.0";
  out->description = "test executor exercising mcpk_invocation";
  out->kinds = MCPK_KIND_EXECUTOR;
  out->executor = &executor;
  return MCPK_STATUS_OK;
}
