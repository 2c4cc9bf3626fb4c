/* The llm plugin's response side: the OpenAI streaming (`text/event-stream`)
 * body of `POST …/chat/completions`, parsed incrementally as the bytes arrive,
 * and the step's outcome built from it. No I/O and no libcurl: llm_executor.c
 * feeds it from the libcurl write callback, fuzz/c/executor_config_fuzz.c
 * (target c-llm) from its input.
 *
 *  - SSE: `data:` lines joined per event by `\n`, a blank line dispatches,
 *    `:` comments, `event: error`, `\r\n` or `\n`, chunks split anywhere;
 *    `id:`, `retry:` and unknown fields are ignored.
 *  - Each event is a JSON chunk: `choices[0].delta.content` is one token,
 *    `model` and a non-null `usage` are kept (the last one wins), an `error`
 *    member (or `event: error`) fails the step, `data: [DONE]` ends the stream.
 *  - Each llm_stream_feed relays its tokens as one `log` event (stream
 *    LLM_LOG_STREAM) and a `progress` event every LLM_PROGRESS_EVERY_TOKENS
 *    tokens (a fraction of maxTokens when known).
 *  - Result: `{text, usage, model}`.
 *
 * Ownership: the llm_stream lives in its caller's frame; every buffer and
 * jansson value in it is owned by the stream and freed by llm_stream_release.
 * The invocation is borrowed from the host for the stream's lifetime. Strings
 * handed to the host follow mcpk_invoke_support.h (mi_result / mi_fail). */
#ifndef MCPK_LLM_STREAM_H
#define MCPK_LLM_STREAM_H

#include "mcpk_invoke_support.h"

/* ---- limits ------------------------------------------------------------ */

/* Most response bytes read (the whole stream, headers excluded). */
#define LLM_MAX_RESPONSE_BYTES (32L * 1024 * 1024)
/* Most bytes of a non-200 body quoted in the error. */
#define LLM_MAX_ERROR_BODY 500
/* Most bytes of a malformed chunk quoted in the error. */
#define LLM_MAX_QUOTED_CHUNK 200
/* A progress event every this many tokens. */
#define LLM_PROGRESS_EVERY_TOKENS 16
/* Stream name of the token log events. */
#define LLM_LOG_STREAM "llm"

/* ---- the stream -------------------------------------------------------- */

/* Where the SSE stream stands. */
typedef enum {
  LLM_STREAM_OPEN = 0,    /* reading events */
  LLM_STREAM_DONE,        /* `data: [DONE]` seen; later bytes are ignored */
  LLM_STREAM_FAILED,      /* `failure` holds the step error; the transfer aborts */
  LLM_STREAM_CANCELLED,   /* the host asked to stop */
  LLM_STREAM_HTTP_ERROR   /* status != 200; `body` collects the error body */
} llm_stream_state;

/* Per-invocation response state (llm_stream_init; the fields are the
 * stream's own, except `status`, which the transport sets). */
typedef struct {
  const mcpk_invocation *inv; /* borrowed from the host */
  llm_stream_state state;
  long status;                /* HTTP status, set by the caller before the first byte is fed */
  long max_tokens;            /* for progress fractions; <= 0: unknown */
  size_t received;            /* body bytes so far */
  mx_buf line;                /* the current, incomplete line */
  mx_buf data;                /* `data:` lines of the current event, joined by \n */
  int event_is_error;         /* the current event is `event: error` */
  mx_buf text;                /* the completion so far */
  mx_buf batch;               /* tokens of this feed */
  mx_buf body;                /* non-200 body, at most LLM_MAX_ERROR_BODY bytes */
  size_t tokens;              /* tokens so far */
  size_t progress_marks;      /* progress events emitted */
  json_t *usage;              /* owned; the last non-null `usage` */
  char *model;                /* owned; the last `model` */
  char failure[MI_MAX_MESSAGE];
} llm_stream;

/* An open stream relaying to `inv` (borrowed); `max_tokens` <= 0: unknown. */
MX_INTERNAL void llm_stream_init(llm_stream *s, const mcpk_invocation *inv, long max_tokens);

/* Feeds the next `len` body bytes (any split). Returns `len` to go on, or 0
 * when the transfer must stop (a failure, a cancellation, a non-200 body over
 * LLM_MAX_ERROR_BODY); llm_stream_failure then says why. */
MX_INTERNAL size_t llm_stream_feed(llm_stream *s, const char *bytes, size_t len);

/* Asks the host whether the step was cancelled (the stream is then
 * CANCELLED). Returns 1 when the transfer must stop. */
MX_INTERNAL int llm_stream_poll_cancel(llm_stream *s);

/* The transfer completed without error: an event the server did not close
 * with a blank line is dispatched (and its tokens relayed). */
MX_INTERNAL void llm_stream_end(llm_stream *s);

/* The step failure the stream explains, checked first after the transfer: a
 * cancellation (polled once more), a non-200 status (`<url> answered HTTP
 * <status>: <body>`), a stream failure. Returns OK when there is none. */
MX_INTERNAL mcpk_status llm_stream_failure(llm_stream *s, const char *url, mcpk_error *err);

/* The step's result after a stream without failure over a transfer without
 * error: `{text, usage, model}` (`model` from the chunks, else
 * `config_model`), or a failure when the stream ended without `[DONE]` and
 * without any text. */
MX_INTERNAL mcpk_status llm_stream_result(const llm_stream *s, const char *url, const char *config_model,
                                          mcpk_string *out, mcpk_error *err);

/* Frees what the stream owns. */
MX_INTERNAL void llm_stream_release(llm_stream *s);

#endif
