/* The llm plugin's request side: a step (component config, step inputs,
 * unsealed secrets) turned into the URL, JSON body and headers of one
 * streaming `POST <endpoint>/chat/completions`. No I/O: llm_executor.c sends
 * it with libcurl, fuzz/c/executor_config_fuzz.c (target c-llm) checks it.
 *
 *  - URL: `endpoint` (http:// or https://; LLM_DEFAULT_ENDPOINT when unset),
 *    trailing `/` dropped, LLM_COMPLETIONS_PATH appended unless it ends so.
 *  - Body: `{model, messages:[system?, connectionSchema?, user], stream:true,
 *    stream_options:{include_usage:true}, max_tokens?, temperature?, top_p?,
 *    top_k?}`; prompts rendered from the step inputs (their `${inputs…}`
 *    resolved by the engine, then `{{x}}`); the user prompt is
 *    `userPromptTemplate`, else the `prompt` input.
 *  - Headers: `Content-Type: application/json`, `Accept: text/event-stream`,
 *    `Expect:` (none), and `Authorization: Bearer <key>` when `apiKeySecret`
 *    names a secret the host unsealed into `step->secrets_json`. The key is
 *    never logged, emitted or put into an error message; a key with a line
 *    break is refused.
 *
 * Ownership: everything in an llm_request is owned by it and freed by
 * llm_request_release, which first wipes the header list (it holds the key).
 * libcurl is used only for its header list (curl_slist), no transfer. */
#ifndef MCPK_LLM_REQUEST_H
#define MCPK_LLM_REQUEST_H

#include <curl/curl.h>

#include "mcpk_invoke_support.h"

/* Endpoint used when the component sets none (a local Ollama). */
#define LLM_DEFAULT_ENDPOINT "http://127.0.0.1:11434/v1"
/* Path appended to the endpoint unless it already ends with it. */
#define LLM_COMPLETIONS_PATH "/chat/completions"

/* One request, built by llm_request_build. */
typedef struct {
  json_t *config;             /* owned; the parsed component config */
  char *url;                  /* owned; `<endpoint>/chat/completions` */
  char *body;                 /* owned; the JSON body, compact text */
  struct curl_slist *headers; /* owned; holds the API key */
  long max_tokens;            /* `maxTokens`, or 0 when unset */
} llm_request;

/* Builds the request of `step` into `*out` (zeroed first). Returns OK, or a
 * failure with `err` filled (INVALID_ARGUMENT: config or inputs not JSON, no
 * model, a bad endpoint, a prompt placeholder without a value, a missing
 * secret; NO_MEMORY) and nothing left to release. */
MX_INTERNAL mcpk_status llm_request_build(const mcpk_step *step, llm_request *out, mcpk_error *err);

/* Wipes the headers and frees what the request owns. */
MX_INTERNAL void llm_request_release(llm_request *r);

#endif
