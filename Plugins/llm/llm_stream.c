/* The llm plugin's SSE response parser and the step outcome (llm_stream.h). */
#include "llm_stream.h"

static void llm_stream_fail(llm_stream *s, const char *fmt, const char *arg) {
  if (s->state == LLM_STREAM_FAILED || s->state == LLM_STREAM_CANCELLED) return;
  snprintf(s->failure, sizeof s->failure, fmt, arg);
  s->state = LLM_STREAM_FAILED;
}

void llm_stream_init(llm_stream *s, const mcpk_invocation *inv, long max_tokens) {
  memset(s, 0, sizeof *s);
  s->inv = inv;
  s->max_tokens = max_tokens;
}

void llm_stream_release(llm_stream *s) {
  free(s->line.data);
  free(s->data.data);
  free(s->text.data);
  free(s->batch.data);
  free(s->body.data);
  free(s->model);
  json_decref(s->usage);
}

/* One complete SSE event (its joined `data`). */
static void llm_stream_dispatch(llm_stream *s) {
  int is_error = s->event_is_error;
  s->event_is_error = 0;
  if (!s->data.len) return;
  const char *data = s->data.data;
  /* The event's data is consumed here whatever happens below. */
  s->data.len = 0;
  if (strcmp(data, "[DONE]") == 0) {
    s->state = LLM_STREAM_DONE;
    return;
  }
  json_error_t je;
  json_t *chunk = json_loads(data, JSON_DECODE_ANY, &je);
  if (!chunk) {
    char quoted[LLM_MAX_QUOTED_CHUNK + 1];
    snprintf(quoted, sizeof quoted, "%s", data);
    llm_stream_fail(s, "the server sent a chunk that is not JSON: %s", quoted);
    return;
  }
  json_t *err = json_object_get(chunk, "error");
  if ((err && !json_is_null(err)) || is_error) {
    const json_t *source = err && !json_is_null(err) ? err : chunk;
    const char *m = json_is_string(source) ? json_string_value(source) : mi_str(source, "message");
    char *dumped = m ? NULL : json_dumps(source, JSON_COMPACT | JSON_ENCODE_ANY);
    llm_stream_fail(s, "model error: %s", m ? m : dumped ? dumped : "(no message)");
    free(dumped);
    json_decref(chunk);
    return;
  }
  const char *model = mi_str(chunk, "model");
  if (model && *model) {
    char *copy = mx_strdup(model);
    if (copy) { free(s->model); s->model = copy; }
  }
  json_t *usage = json_object_get(chunk, "usage");
  if (usage && !json_is_null(usage)) {
    json_decref(s->usage);
    s->usage = json_incref(usage);
  }
  json_t *delta = json_object_get(json_array_get(json_object_get(chunk, "choices"), 0), "delta");
  json_t *content = json_object_get(delta, "content");
  if (json_is_string(content) && json_string_length(content)) {
    mx_put(&s->text, json_string_value(content), json_string_length(content));
    mx_put(&s->batch, json_string_value(content), json_string_length(content));
    s->tokens++;
  }
  json_decref(chunk);
  if (s->text.failed || s->batch.failed) llm_stream_fail(s, "%s", "out of memory");
}

/* One line of the stream, without its line terminator. */
static void llm_stream_line(llm_stream *s, char *line, size_t len) {
  if (len && line[len - 1] == '\r') line[--len] = 0;
  if (len == 0) { llm_stream_dispatch(s); return; }
  if (line[0] == ':') return; /* comment / keep-alive */
  char *colon = memchr(line, ':', len);
  size_t name_len = colon ? (size_t)(colon - line) : len;
  const char *value = colon ? colon + 1 : "";
  if (*value == ' ') value++;
  if (name_len == 4 && memcmp(line, "data", 4) == 0) {
    if (s->data.len) mx_put(&s->data, "\n", 1);
    mx_put(&s->data, value, strlen(value));
    if (s->data.failed) llm_stream_fail(s, "%s", "out of memory");
  } else if (name_len == 5 && memcmp(line, "event", 5) == 0) {
    s->event_is_error = strcmp(value, "error") == 0;
  } /* `id:`, `retry:` and unknown fields are ignored, as SSE says. */
}

/* Relays this feed's tokens: one log event, progress every N tokens. */
static void llm_stream_flush(llm_stream *s) {
  if (!s->batch.len || s->state == LLM_STREAM_CANCELLED) return;
  mcpk_status st = mi_log(s->inv, LLM_LOG_STREAM, s->batch.data);
  s->batch.len = 0;
  s->batch.data[0] = 0;
  while (st == MCPK_STATUS_OK && s->tokens / LLM_PROGRESS_EVERY_TOKENS > s->progress_marks) {
    s->progress_marks++;
    char message[64];
    size_t n = s->progress_marks * LLM_PROGRESS_EVERY_TOKENS;
    snprintf(message, sizeof message, "%zu tokens", n);
    st = mi_progress(s->inv, s->max_tokens > 0 ? (double)n / (double)s->max_tokens : -1, message);
  }
  if (st == MCPK_STATUS_CANCELLED) s->state = LLM_STREAM_CANCELLED;
}

size_t llm_stream_feed(llm_stream *s, const char *bytes, size_t total) {
  if (s->status != 200) {
    s->state = LLM_STREAM_HTTP_ERROR;
    size_t room = LLM_MAX_ERROR_BODY - s->body.len;
    mx_put(&s->body, bytes, total < room ? total : room);
    return s->body.len >= LLM_MAX_ERROR_BODY ? 0 : total;
  }
  if (s->state == LLM_STREAM_DONE) return total;
  if (s->state != LLM_STREAM_OPEN) return 0;
  s->received += total;
  if (s->received > (size_t)LLM_MAX_RESPONSE_BYTES) {
    char limit[32];
    snprintf(limit, sizeof limit, "%ld", LLM_MAX_RESPONSE_BYTES);
    llm_stream_fail(s, "the response is larger than %s bytes", limit);
    return 0;
  }
  const char *p = bytes, *end = bytes + total;
  while (p < end && s->state == LLM_STREAM_OPEN) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) { mx_put(&s->line, p, (size_t)(end - p)); break; }
    mx_put(&s->line, p, (size_t)(nl - p));
    if (s->line.failed) { llm_stream_fail(s, "%s", "out of memory"); break; }
    llm_stream_line(s, s->line.data ? s->line.data : (char *)"", s->line.len);
    s->line.len = 0;
    if (s->line.data) s->line.data[0] = 0;
    p = nl + 1;
  }
  llm_stream_flush(s);
  if (s->inv->is_cancelled(s->inv->host_data)) s->state = LLM_STREAM_CANCELLED;
  return s->state == LLM_STREAM_OPEN || s->state == LLM_STREAM_DONE ? total : 0;
}

int llm_stream_poll_cancel(llm_stream *s) {
  if (s->inv->is_cancelled(s->inv->host_data)) s->state = LLM_STREAM_CANCELLED;
  return s->state == LLM_STREAM_CANCELLED;
}

void llm_stream_end(llm_stream *s) {
  if (s->state != LLM_STREAM_OPEN || s->status != 200) return;
  if (s->line.len) llm_stream_line(s, s->line.data, s->line.len);
  llm_stream_dispatch(s);
  llm_stream_flush(s);
}

mcpk_status llm_stream_failure(llm_stream *s, const char *url, mcpk_error *err) {
  if (s->state != LLM_STREAM_CANCELLED) llm_stream_poll_cancel(s);
  if (s->state == LLM_STREAM_CANCELLED) return mi_fail(err, MCPK_STATUS_CANCELLED, "cancelled");
  if (s->status != 0 && s->status != 200)
    return mi_fail(err, s->status == 401 || s->status == 403 ? MCPK_STATUS_UNAUTHENTICATED : MCPK_STATUS_IO,
                   "%.300s answered HTTP %ld: %.*s", url, s->status, LLM_MAX_ERROR_BODY, s->body.data ? s->body.data : "");
  if (s->state == LLM_STREAM_FAILED) return mi_fail(err, MCPK_STATUS_IO, "%s", s->failure);
  return MCPK_STATUS_OK;
}

mcpk_status llm_stream_result(const llm_stream *s, const char *url, const char *config_model, mcpk_string *out,
                              mcpk_error *err) {
  if (s->state != LLM_STREAM_DONE && s->text.len == 0)
    return mi_fail(err, MCPK_STATUS_IO, "the stream from %.300s ended without any completion", url);
  const char *model = s->model ? s->model : config_model;
  json_t *result = json_pack("{s:s%, s:O, s:s}", "text", s->text.data ? s->text.data : "", s->text.len,
                             "usage", s->usage ? s->usage : json_null(), "model", model ? model : "");
  mcpk_status st = result ? mi_result(result, out, err) : mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  json_decref(result);
  return st;
}
