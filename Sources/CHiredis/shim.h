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

/* Debian's hiredis 0.14 libuv adapter returns from its poll callback when libuv reports an error
 * status (a refused connect, a reset connection: libuv stops the poll and passes UV_EBADF), so
 * hiredis never learns of the failure and the connect or reply callback never runs: a hang.
 * hiredis 1.0 fixed redisLibuvPoll to treat such a status as "the events we wait for"; these hooks
 * are that fix over the same adapter state (redisLibuvEvents, its cleanup and free unchanged). */
static inline void mcpk_redis_libuv_poll(uv_poll_t *handle, int status, int events) {
    redisLibuvEvents *p = (redisLibuvEvents *)handle->data;
    int ev = status ? p->events : events;
    if (p->context != NULL && (ev & UV_READABLE)) redisAsyncHandleRead(p->context);
    if (p->context != NULL && (ev & UV_WRITABLE)) redisAsyncHandleWrite(p->context);
}
static inline void mcpk_redis_libuv_update(redisLibuvEvents *p) {
    if (p->events) uv_poll_start(&p->handle, p->events, mcpk_redis_libuv_poll);
    else uv_poll_stop(&p->handle);
}
static inline void mcpk_redis_libuv_add_read(void *d) { redisLibuvEvents *p = d; p->events |= UV_READABLE; mcpk_redis_libuv_update(p); }
static inline void mcpk_redis_libuv_del_read(void *d) { redisLibuvEvents *p = d; p->events &= ~UV_READABLE; mcpk_redis_libuv_update(p); }
static inline void mcpk_redis_libuv_add_write(void *d) { redisLibuvEvents *p = d; p->events |= UV_WRITABLE; mcpk_redis_libuv_update(p); }
static inline void mcpk_redis_libuv_del_write(void *d) { redisLibuvEvents *p = d; p->events &= ~UV_WRITABLE; mcpk_redis_libuv_update(p); }

/* redisLibuvAttach, then the fixed poll hooks. Call before redisAsyncSetConnectCallback. */
static inline int mcpk_redis_libuv_attach(redisAsyncContext *ac, uv_loop_t *loop) {
    if (redisLibuvAttach(ac, loop) != REDIS_OK) return REDIS_ERR;
    ac->ev.addRead = mcpk_redis_libuv_add_read;
    ac->ev.delRead = mcpk_redis_libuv_del_read;
    ac->ev.addWrite = mcpk_redis_libuv_add_write;
    ac->ev.delWrite = mcpk_redis_libuv_del_write;
    return REDIS_OK;
}
#endif
