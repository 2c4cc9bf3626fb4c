/* The bundled `LLM Prompt Agent` executor: an in-process (`invoke`) streaming
 * call to an OpenAI-compatible `POST <endpoint>/chat/completions` through
 * libcurl (http:// and https://, TLS peer and host always verified).
 *
 * One concern per file:
 *  - llm_request.c: the step (config, inputs, secrets) → URL, JSON body and
 *    headers (the API key never logged, emitted or put into an error message).
 *  - llm_stream.c: the `text/event-stream` response parsed as it arrives
 *    (token `log` events, `progress`, `model`, `usage`, `[DONE]`) and the
 *    step's outcome, result `{text, usage, model}`.
 *  - here: the libcurl transfer. The write callback records the HTTP status
 *    and feeds the stream; returning less than it got aborts the transfer.
 *  - Cancellation: the transfer-info callback polls `inv->is_cancelled`, and
 *    an `emit` answering CANCELLED stops the transfer; invoke returns
 *    MCPK_STATUS_CANCELLED.
 *  - CA bundle: libcurl's default (Debian: /etc/ssl/certs), overridden by
 *    the kernel's environment `SSL_CERT_FILE` / `SSL_CERT_DIR` (OpenSSL's
 *    convention) for private CAs and tests.
 *
 * Ownership: the request (llm_request) and the stream (llm_stream, inside
 * llm_transfer) live in llm_invoke's frame and are released before it
 * returns; the libcurl handle too. Strings handed to the host follow
 * mcpk_invoke_support.h (mi_result / mi_fail). */
#include <curl/curl.h>
#include <pthread.h>

#include "mcpk_invoke_support.h"
#include "llm_request.h"
#include "llm_stream.h"
#include "llm_type.h"

/* ---- limits ------------------------------------------------------------ */

/* TCP + TLS connect timeout. */
#define LLM_CONNECT_TIMEOUT_MS 10000L
/* Idle timeout: the transfer fails when fewer than LLM_IDLE_MIN_BYTES arrive
 * during LLM_IDLE_TIMEOUT_S seconds (a model may think for a while). */
#define LLM_IDLE_TIMEOUT_S 300L
#define LLM_IDLE_MIN_BYTES 1L

/* ---- the transfer ------------------------------------------------------ */

/* What the libcurl callbacks share, in llm_invoke's frame. */
typedef struct {
  llm_stream stream; /* owned; released by llm_invoke */
  CURL *curl;        /* borrowed from llm_invoke */
} llm_transfer;

/* CURLOPT_WRITEFUNCTION: returning less than `size * n` aborts the transfer. */
static size_t llm_on_body(char *bytes, size_t size, size_t n, void *userdata) {
  llm_transfer *t = userdata;
  if (t->stream.status == 0) curl_easy_getinfo(t->curl, CURLINFO_RESPONSE_CODE, &t->stream.status);
  return llm_stream_feed(&t->stream, bytes, size * n);
}

/* CURLOPT_XFERINFOFUNCTION: non-zero aborts (called at least about once a
 * second, also while nothing arrives). */
static int llm_on_progress(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
  (void)dltotal; (void)dlnow; (void)ultotal; (void)ulnow;
  llm_transfer *t = userdata;
  return llm_stream_poll_cancel(&t->stream);
}

static pthread_once_t llm_curl_once = PTHREAD_ONCE_INIT;
static CURLcode llm_curl_init_code = CURLE_FAILED_INIT;

static void llm_curl_init(void) { llm_curl_init_code = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Turns a libcurl failure into the step error. */
static mcpk_status llm_transfer_error(CURLcode rc, const char *url, const char *detail, mcpk_error *err) {
  const char *why = detail && *detail ? detail : curl_easy_strerror(rc);
  switch (rc) {
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CACERT_BADFILE:
  case CURLE_SSL_ISSUER_ERROR:
    return mi_fail(err, MCPK_STATUS_IO, "the TLS certificate of %.300s could not be verified: %s%s", url, why,
                   strstr(why, "certificate problem") ? " (a private CA goes in the kernel's SSL_CERT_FILE)" : "");
  case CURLE_OPERATION_TIMEDOUT:
    return mi_fail(err, MCPK_STATUS_TIMEOUT, "%.300s: %s", url, why);
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_CONNECT:
    return mi_fail(err, MCPK_STATUS_IO, "cannot reach %.300s: %s", url, why);
  default:
    return mi_fail(err, MCPK_STATUS_IO, "%.300s: %s", url, why);
  }
}

/* mcpk_executor.invoke for `LLM Prompt Agent`. */
static mcpk_status llm_invoke(void *plugin_data, const mcpk_step *step, const mcpk_invocation *inv,
                              mcpk_string *out_result_json, mcpk_error *err) {
  (void)plugin_data;
  pthread_once(&llm_curl_once, llm_curl_init);
  if (llm_curl_init_code != CURLE_OK)
    return mi_fail(err, MCPK_STATUS_INTERNAL, "libcurl: %s", curl_easy_strerror(llm_curl_init_code));
  llm_request req;
  mcpk_status st = llm_request_build(step, &req, err);
  if (st != MCPK_STATUS_OK) return st;
  CURL *curl = curl_easy_init();
  if (!curl) {
    llm_request_release(&req);
    return mi_fail(err, MCPK_STATUS_INTERNAL, "libcurl: cannot create a handle");
  }

  llm_transfer t;
  llm_stream_init(&t.stream, inv, req.max_tokens);
  t.curl = curl;
  char curl_error[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(curl, CURLOPT_URL, req.url);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, req.body);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(req.body));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, req.headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "mcpk-llm/1.0");
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, LLM_CONNECT_TIMEOUT_MS);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, LLM_IDLE_MIN_BYTES);
  curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, LLM_IDLE_TIMEOUT_S);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
  const char *ca_file = getenv("SSL_CERT_FILE");
  if (ca_file && *ca_file) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file);
  const char *ca_dir = getenv("SSL_CERT_DIR");
  if (ca_dir && *ca_dir) curl_easy_setopt(curl, CURLOPT_CAPATH, ca_dir);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, llm_on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, llm_on_progress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);

  CURLcode rc = curl_easy_perform(curl);
  if (t.stream.status == 0) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &t.stream.status);
  /* A stream that ends on an event without the closing blank line. */
  if (rc == CURLE_OK) llm_stream_end(&t.stream);
  /* The stream's own failure first (cancelled, HTTP status, a bad chunk), then libcurl's. */
  st = llm_stream_failure(&t.stream, req.url, err);
  if (st == MCPK_STATUS_OK)
    st = rc != CURLE_OK ? llm_transfer_error(rc, req.url, curl_error, err)
                        : llm_stream_result(&t.stream, req.url, mi_str(req.config, "model"), out_result_json, err);

  curl_easy_cleanup(curl);
  llm_stream_release(&t.stream);
  llm_request_release(&req);
  return st;
}

static const char *const llm_types[] = {"LLM Prompt Agent"};

MI_DEFINE_PLUGIN("llm", "LLM Prompt Agent steps: streaming OpenAI-compatible chat completions (libcurl, TLS verified)",
                 llm_types, type_defs, llm_invoke)
