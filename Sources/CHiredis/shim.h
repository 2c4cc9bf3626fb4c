#ifndef CHIREDIS_SHIM_H
#define CHIREDIS_SHIM_H
/* Debian's hiredis (libhiredis-dev): the async API and its libuv adapter.
 *
 * Ownership across the C boundary (see Sources/KernelStore/RedisClient.swift):
 * - redisAsyncConnect returns a context owned by hiredis; it is freed by hiredis itself after the
 *   disconnect callback runs (redisAsyncDisconnect / redisAsyncFree / a lost connection). Swift
 *   never frees it and never touches it after the disconnect callback.
 * - redisLibuvAttach allocates the adapter's uv_poll_t and frees it when the context goes away.
 * - A reply (redisReply *) passed to a command callback belongs to hiredis and is valid only
 *   during that callback: Swift copies out what it needs.
 * - privdata given to redisAsyncCommandArgv and the context's `data` are retained Swift objects
 *   (Unmanaged); Swift balances every retain in the matching callback.
 */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#include <hiredis/adapters/libuv.h>

/* Field access helpers: redisReply's `element` array and the context's error string. */
static inline redisReply *mcpk_redis_reply_element(redisReply *r, size_t i) { return r->element[i]; }
static inline const char *mcpk_redis_async_errstr(redisAsyncContext *c) { return c->errstr; }
static inline int mcpk_redis_async_err(redisAsyncContext *c) { return c->err; }
static inline void mcpk_redis_async_set_data(redisAsyncContext *c, void *data) { c->data = data; }
static inline void *mcpk_redis_async_data(const redisAsyncContext *c) { return c->data; }
#endif
