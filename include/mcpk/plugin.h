/*
 * MCP Kernel plugin ABI.
 *
 * This is the only public C header of MCP Kernel (mcpk). A plugin is a shared
 * library that includes this header, exports the single symbol
 * mcpk_plugin_init() and links no kernel symbol: everything the kernel offers
 * a plugin is reached through the function table in ::mcpk_host.
 *
 * Build a plugin with one line:
 *
 *     cc -shared -fPIC -Iinclude my.c -o libmy.so
 *
 * and drop the .so into a plugin directory; `plugin.load` or a kernel restart
 * picks it up. See docs/PLUGINS.md for a complete minimal connector.
 *
 * The header is C99, has no dependency besides <stddef.h> and <stdint.h>, and
 * uses no libuv, Swift or compiler-specific types.
 */

/**
 * \file mcpk/plugin.h
 * \brief The MCP Kernel plugin ABI: connectors, executors, extra operations.
 *
 * \section conventions Conventions
 *
 * - **Versions.** ABI versions are integers `major * 1000000 + minor * 1000 +
 *   patch`, so `1000000` is 1.0.0 (::MCPK_ABI_VERSION_1_0_0).
 * - **Growing tables.** Every table and argument struct that may grow begins
 *   with `size_t struct_size`, set by whoever fills the struct to the
 *   `sizeof` it was compiled with. Members are only ever appended. A reader
 *   must not touch a member whose end lies beyond `struct_size`; the
 *   `MCPK_*_SIZE_1_0_0` macros give the minimum size of each table at 1.0.0.
 * - **Ownership.** Every pointer member and parameter states who owns it and
 *   for how long it stays valid. "Borrowed" means the receiver must not free
 *   it and must copy what it needs before the call returns. Data handed over
 *   (an ::mcpk_string, an ::mcpk_error message) carries a `release` callback
 *   supplied by its producer; the consumer calls it exactly once.
 * - **Errors.** Every fallible function returns an ::mcpk_status and takes an
 *   `mcpk_error *err` that the caller zero-initialises. On failure the callee
 *   may fill it; the caller then calls `err->release(err)` if non-NULL.
 *   Nothing unwinds across the boundary: C++ exceptions, Rust panics and
 *   longjmp must be caught inside the plugin.
 * - **Strings** are UTF-8 and NUL-terminated unless a length is given.
 * - **Threads.** One plugin object (an ::mcpk_connection) is used by one
 *   thread at a time, though not always the same thread; mcpk_connector.cancel
 *   may be called from any thread at any time while the object is open.
 *   Different connections of one plugin are used concurrently from different
 *   threads (the host pools several per stored connection), so state shared
 *   between connections must be thread-safe.
 *   Plugin-level functions (mcpk_connector.open, the executor functions) may
 *   be called concurrently from several threads and must be thread-safe.
 *   Extra operations (::mcpk_op) of one plugin are called one at a time.
 * - **Names.** C names are `mcpk_<object>_<verb>`; macros `MCPK_*`.
 */

#ifndef MCPK_PLUGIN_H
#define MCPK_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** \defgroup mcpk-version ABI versions
 * Integer ABI versions; the host offers its newest, a plugin that lacks it
 * answers ::MCPK_STATUS_NOT_IMPLEMENTED and the host retries an older one.
 * @{
 */

/** \brief ABI 1.0.0. \since 1.0.0 */
#define MCPK_ABI_VERSION_1_0_0 1000000u

/** \brief ABI 1.1.0: adds mcpk_invocation.call_op. A 1.0.0 plugin keeps
 * working with a 1.1.0 host (it answers NOT_IMPLEMENTED or accepts 1.1.0 and
 * ignores the new member). \since 1.1.0 */
#define MCPK_ABI_VERSION_1_1_0 1001000u

/** \brief ABI 1.2.0: adds mcpk_executor.type_defs, the component types an
 * executor declares with their config schema, secret fields and execution
 * (::mcpk_component_type). A 1.0.0 / 1.1.0 executor keeps working: each of
 * its `component_types` is served (it runs the steps) with the declaration
 * another loaded plugin makes of that name; a name no loaded plugin declares
 * is not a creatable type (the kernel has no per-type knowledge of its own).
 * \since 1.2.0 */
#define MCPK_ABI_VERSION_1_2_0 1002000u

/** \brief ABI 1.3.0: adds mcpk_component_type.flags (::MCPK_TYPE_NO_WORK_DIR).
 * Read only from a plugin that accepted 1.3.0; older plugins' types keep a
 * work directory per attempt. \since 1.3.0 */
#define MCPK_ABI_VERSION_1_3_0 1003000u

/** \brief The newest ABI this header describes. \since 1.0.0 */
#define MCPK_ABI_VERSION MCPK_ABI_VERSION_1_3_0

/** \brief Name of the one symbol a plugin exports. \since 1.0.0 */
#define MCPK_PLUGIN_INIT_SYMBOL "mcpk_plugin_init"

/** \brief Marks the exported init function visible even when a plugin is
 * compiled with `-fvisibility=hidden`. \since 1.0.0 */
#if defined(__GNUC__) || defined(__clang__)
#define MCPK_EXPORT __attribute__((visibility("default")))
#else
#define MCPK_EXPORT
#endif

/** @} */

/** \defgroup mcpk-status Status codes
 * Every fallible function returns one of these. Each code lists who may
 * return it: **P** the plugin (from a table function), **H** the host (from a
 * callback in ::mcpk_host, ::mcpk_row_sink or ::mcpk_invocation), and how the
 * kernel reports it to clients (the `KernelError` kind).
 * @{
 */

/** \brief A status code. \since 1.0.0 */
typedef int32_t mcpk_status;

/** \brief Success. P, H. \since 1.0.0 */
#define MCPK_STATUS_OK 0
/** \brief Unclassified failure. P, H. Kernel kind `internal`. \since 1.0.0 */
#define MCPK_STATUS_UNKNOWN 1
/** \brief The function, ABI version or option is not supported.
 * P: mcpk_plugin_init() for an ABI it lacks (the host then retries an older
 * one); any optional table function. Kernel kind `invalid_params`.
 * \since 1.0.0 */
#define MCPK_STATUS_NOT_IMPLEMENTED 2
/** \brief A named object (table, schema, file, connection) does not exist.
 * P. Kernel kind `not_found`. \since 1.0.0 */
#define MCPK_STATUS_NOT_FOUND 3
/** \brief The caller's input is wrong: bad config, bad SQL, wrong parameter
 * count. P, H. Kernel kind `invalid_params`. \since 1.0.0 */
#define MCPK_STATUS_INVALID_ARGUMENT 4
/** \brief The object is not in a state that allows the call (closed, busy).
 * P, H. Kernel kind `conflict`. \since 1.0.0 */
#define MCPK_STATUS_INVALID_STATE 5
/** \brief A network, file or server error. P. Kernel kind `unavailable`.
 * \since 1.0.0 */
#define MCPK_STATUS_IO 6
/** \brief A timeout (connect or statement) expired. P. Kernel kind
 * `unavailable`. \since 1.0.0 */
#define MCPK_STATUS_TIMEOUT 7
/** \brief The call was cancelled. P: after mcpk_connector.cancel or when
 * mcpk_invocation.is_cancelled became true. H: a row sink or invocation
 * callback asks the plugin to stop (the plugin returns it in turn). Kernel
 * kind `conflict` with a "cancelled" message. \since 1.0.0 */
#define MCPK_STATUS_CANCELLED 8
/** \brief Authentication failed. P. Kernel kind `forbidden`. \since 1.0.0 */
#define MCPK_STATUS_UNAUTHENTICATED 9
/** \brief The operation is not permitted, e.g. a write on a read-only
 * connection. P. Kernel kind `forbidden`. \since 1.0.0 */
#define MCPK_STATUS_FORBIDDEN 10
/** \brief Out of memory. P, H. Kernel kind `internal`. \since 1.0.0 */
#define MCPK_STATUS_NO_MEMORY 11
/** \brief A bug or broken invariant. P, H. Kernel kind `internal`.
 * \since 1.0.0 */
#define MCPK_STATUS_INTERNAL 12

/** @} */

/** \defgroup mcpk-error Errors
 * @{
 */

/** \brief Detailed error information, filled by the callee on failure.
 *
 * The caller zero-initialises the struct before each call. A callee that
 * fails may set `message` (and the other members) and then must set
 * `release`. The caller reads the members, then calls `release(err)` exactly
 * once if it is non-NULL; after that the struct is zeroed again.
 *
 * \since 1.0.0
 */
typedef struct mcpk_error {
  /** \brief Human-readable message, or NULL. Owned by the callee; valid until
   * `release` is called. \since 1.0.0 */
  char *message;
  /** \brief Driver-specific error code, 0 if none. \since 1.0.0 */
  int32_t vendor_code;
  /** \brief Five-character SQLSTATE, NUL-terminated, or all zero if none
   * (e.g. "42P01" for an unknown table). \since 1.0.0 */
  char sqlstate[6];
  /** \brief Callee-owned data for `release`. \since 1.0.0 */
  void *private_data;
  /** \brief Frees `message` and `private_data`; set by the callee whenever
   * it set anything. NULL means nothing to free. \since 1.0.0 */
  void (*release)(struct mcpk_error *error);
} mcpk_error;

/** @} */

/** \defgroup mcpk-data Strings, values and columns
 * @{
 */

/** \brief A string handed over from its producer to a consumer.
 *
 * The producer fills `data`, `length` and `release`; the consumer reads the
 * bytes and calls `release(s)` exactly once when done (if non-NULL). A
 * producer may point `data` at static storage and set `release` to NULL.
 *
 * \since 1.0.0
 */
typedef struct mcpk_string {
  /** \brief The bytes, NUL-terminated at `data[length]`. Producer-owned.
   * \since 1.0.0 */
  char *data;
  /** \brief Length in bytes, excluding the terminating NUL. \since 1.0.0 */
  size_t length;
  /** \brief Producer-owned data for `release`. \since 1.0.0 */
  void *private_data;
  /** \brief Frees the string; supplied by the producer. \since 1.0.0 */
  void (*release)(struct mcpk_string *s);
} mcpk_string;

/** \brief The type of a cell or parameter. \since 1.0.0 */
typedef enum mcpk_type {
  MCPK_TYPE_NULL = 0,   /**< SQL NULL / JSON null. \since 1.0.0 */
  MCPK_TYPE_BOOL = 1,   /**< Boolean in `v.b` (0 or 1). \since 1.0.0 */
  MCPK_TYPE_INT64 = 2,  /**< 64-bit signed integer in `v.i`. \since 1.0.0 */
  MCPK_TYPE_DOUBLE = 3, /**< IEEE double in `v.d`. \since 1.0.0 */
  MCPK_TYPE_TEXT = 4,   /**< UTF-8 text in `v.s` (need not be NUL-terminated). \since 1.0.0 */
  MCPK_TYPE_BYTES = 5   /**< Binary data in `v.s`; the kernel shows it base64-encoded. \since 1.0.0 */
} mcpk_type;

/** \brief One typed value: a result cell or a query parameter.
 *
 * Text and bytes are borrowed: valid only for the duration of the call that
 * passes the value.
 *
 * \since 1.0.0
 */
typedef struct mcpk_value {
  /** \brief An ::mcpk_type. \since 1.0.0 */
  int32_t type;
  /** \brief The payload selected by `type`. \since 1.0.0 */
  union {
    int32_t b;  /**< ::MCPK_TYPE_BOOL */
    int64_t i;  /**< ::MCPK_TYPE_INT64 */
    double d;   /**< ::MCPK_TYPE_DOUBLE */
    struct {
      const char *data; /**< Borrowed bytes. */
      size_t length;    /**< Byte count. */
    } s;                /**< ::MCPK_TYPE_TEXT, ::MCPK_TYPE_BYTES */
  } v;
} mcpk_value;

/** \brief Description of one result column. \since 1.0.0 */
typedef struct mcpk_column {
  /** \brief Column name. Borrowed for the duration of the call. \since 1.0.0 */
  const char *name;
  /** \brief The ::mcpk_type its cells will have (cells may also be NULL).
   * \since 1.0.0 */
  int32_t type;
  /** \brief The database's own type name ("int4", "varchar", "TEXT"), or
   * NULL. Borrowed. \since 1.0.0 */
  const char *type_name;
} mcpk_column;

/** @} */

/** \defgroup mcpk-host The host table
 * What the kernel offers a plugin. Plugins never link kernel symbols.
 * @{
 */

/** \brief Log levels for mcpk_host.log. \since 1.0.0 */
typedef enum mcpk_log_level {
  MCPK_LOG_DEBUG = 0, /**< \since 1.0.0 */
  MCPK_LOG_INFO = 1,  /**< \since 1.0.0 */
  MCPK_LOG_WARN = 2,  /**< \since 1.0.0 */
  MCPK_LOG_ERROR = 3  /**< \since 1.0.0 */
} mcpk_log_level;

/** \brief Functions the kernel gives a plugin at init.
 *
 * Owned by the host; the pointer passed to mcpk_plugin_init() stays valid
 * until mcpk_plugin.release returns. Every function is thread-safe.
 *
 * \since 1.0.0
 */
typedef struct mcpk_host {
  /** \brief sizeof(mcpk_host) as the host was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief The ABI version the host is speaking in this init call.
   * \since 1.0.0 */
  uint32_t abi_version;
  /** \brief Kernel version, e.g. "0.1.0". Host-owned, static. \since 1.0.0 */
  const char *kernel_version;
  /** \brief Opaque host data; pass it back as `host_data` to every function
   * below. \since 1.0.0 */
  void *host_data;
  /** \brief Writes a line to the kernel log, tagged with the plugin name.
   * \param[in] host_data mcpk_host.host_data.
   * \param[in] level An ::mcpk_log_level.
   * \param[in] message Borrowed, copied by the host.
   * \since 1.0.0 */
  void (*log)(void *host_data, int32_t level, const char *message);
  /** \brief Emits a plugin-level event (e.g. "connection_lost") to the
   * kernel's event log and subscribers.
   * \param[in] host_data mcpk_host.host_data.
   * \param[in] type Event type, borrowed.
   * \param[in] payload_json A JSON value as text, borrowed; NULL means null.
   * \return ::MCPK_STATUS_OK, or ::MCPK_STATUS_INVALID_ARGUMENT if the payload
   *   is not JSON.
   * \since 1.0.0 */
  mcpk_status (*emit_event)(void *host_data, const char *type, const char *payload_json);
  /** \brief Allocates `size` bytes (never NULL for size 0; NULL when out of
   * memory). Memory from here is what a plugin returns for an `s` result of
   * an ::mcpk_op; it may also back ::mcpk_string (release = host free).
   * \since 1.0.0 */
  void *(*alloc)(size_t size);
  /** \brief Frees memory from mcpk_host.alloc. NULL is ignored. \since 1.0.0 */
  void (*free)(void *ptr);
} mcpk_host;

/** \brief Minimum size of ::mcpk_host at ABI 1.0.0. \since 1.0.0 */
#define MCPK_HOST_SIZE_1_0_0 (offsetof(mcpk_host, free) + sizeof(void (*)(void *)))

/** @} */

/** \defgroup mcpk-connector Connectors
 * A connector opens connections to a data source, runs SQL streaming typed
 * rows to a host sink, and describes the source's schema.
 * @{
 */

/** \brief A connection: opaque, defined by the plugin. \since 1.0.0 */
typedef struct mcpk_connection mcpk_connection;

/** \brief Arguments of mcpk_connector.open. All members are host-owned and
 * valid for the duration of the call. \since 1.0.0 */
typedef struct mcpk_connect_args {
  /** \brief sizeof as the host was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief The connection's config, a JSON object as text (never NULL),
   * matching mcpk_plugin.config_schema_json. \since 1.0.0 */
  const char *config_json;
  /** \brief The unsealed secret (e.g. a password), or NULL. The plugin must
   * not log it and should wipe its copies on close. \since 1.0.0 */
  const char *secret;
  /** \brief The config object's top-level scalar members as `key`, `value`
   * string pairs (numbers in shortest decimal form, booleans "true" /
   * "false", null omitted), so a plugin in C needs no JSON parser.
   * `option_keys[i]` pairs with `option_values[i]`. \since 1.0.0 */
  const char *const *option_keys;
  /** \brief See option_keys. \since 1.0.0 */
  const char *const *option_values;
  /** \brief Number of option pairs. \since 1.0.0 */
  size_t option_count;
  /** \brief Connect timeout in milliseconds, 0 for the plugin's default.
   * \since 1.0.0 */
  int64_t connect_timeout_ms;
} mcpk_connect_args;

/** \brief One query: SQL, parameters and limits. Host-owned, valid for the
 * duration of mcpk_connector.execute. \since 1.0.0 */
typedef struct mcpk_query {
  /** \brief sizeof as the host was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief The statement text in the source's own dialect and placeholder
   * style ($1 for PostgreSQL, ? for SQLite). \since 1.0.0 */
  const char *sql;
  /** \brief The parameters as a JSON array text ("[]" when none). \since 1.0.0 */
  const char *params_json;
  /** \brief The same parameters decoded by the host (objects and arrays are
   * passed as ::MCPK_TYPE_TEXT holding their JSON). \since 1.0.0 */
  const mcpk_value *params;
  /** \brief Number of entries in `params`. \since 1.0.0 */
  size_t param_count;
  /** \brief Maximum number of rows to deliver; the plugin must enforce it at
   * the source (cursor, single-row mode, step loop) rather than fetching
   * everything. Negative means unlimited. `connection.query` and
   * `mcpk connections query` pass 0…100000 (default 1000, the kernel's
   * ConnectorLimits); a Data step passes its `maxRows` (default 1000, at most
   * 1000000). \since 1.0.0 */
  int64_t max_rows;
  /** \brief Statement timeout in milliseconds, 0 for none. The plugin
   * returns ::MCPK_STATUS_TIMEOUT when it expires. \since 1.0.0 */
  int64_t timeout_ms;
} mcpk_query;

/** \brief Where a connector streams a result: columns first, then rows, then
 * end. Host-owned; valid for the duration of mcpk_connector.execute. Every
 * callback returns ::MCPK_STATUS_OK to continue; any other status (typically
 * ::MCPK_STATUS_CANCELLED) asks the plugin to stop and return that status.
 * \since 1.0.0 */
typedef struct mcpk_row_sink {
  /** \brief sizeof as the host was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief Opaque host data passed to every callback. \since 1.0.0 */
  void *sink_data;
  /** \brief Announces the columns, exactly once, before any row (also for a
   * statement without a result set, with count 0).
   * \param[in] columns Borrowed array of `count` columns. \since 1.0.0 */
  mcpk_status (*columns)(void *sink_data, const mcpk_column *columns, size_t count);
  /** \brief Delivers one row of `count` cells (count equals the column
   * count). Cells are borrowed for the duration of the call. \since 1.0.0 */
  mcpk_status (*row)(void *sink_data, const mcpk_value *cells, size_t count);
  /** \brief Ends the result, exactly once on success.
   * \param[in] truncated 1 if max_rows stopped delivery while more rows
   *   existed (or may have existed), else 0.
   * \param[in] rows_affected Rows changed by a DML statement, -1 if unknown
   *   or not applicable. \since 1.0.0 */
  mcpk_status (*end)(void *sink_data, int32_t truncated, int64_t rows_affected);
} mcpk_row_sink;

/** \brief How deep mcpk_connector.scan descends. \since 1.0.0 */
typedef enum mcpk_scan_depth {
  MCPK_SCAN_SCHEMAS = 1, /**< Schemas only. \since 1.0.0 */
  MCPK_SCAN_TABLES = 2,  /**< Schemas and their tables/views. \since 1.0.0 */
  MCPK_SCAN_COLUMNS = 3  /**< Everything: columns and constraints too. \since 1.0.0 */
} mcpk_scan_depth;

/** \brief Arguments of mcpk_connector.scan. Host-owned, valid for the call.
 * \since 1.0.0 */
typedef struct mcpk_scan_args {
  /** \brief sizeof as the host was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief An ::mcpk_scan_depth. \since 1.0.0 */
  int32_t depth;
  /** \brief Only this schema, or NULL for all (system schemas excluded).
   * \since 1.0.0 */
  const char *schema;
  /** \brief Only this table/view, or NULL for all. \since 1.0.0 */
  const char *table;
} mcpk_scan_args;

/** \brief The connector function table.
 *
 * Owned by the plugin; must stay valid until mcpk_plugin.release returns.
 * `plugin_data` is mcpk_plugin.private_data.
 *
 * \since 1.0.0
 */
typedef struct mcpk_connector {
  /** \brief sizeof(mcpk_connector) as the plugin was compiled. \since 1.0.0 */
  size_t struct_size;

  /** \brief Opens a connection.
   * \param[in] plugin_data mcpk_plugin.private_data.
   * \param[in] args Config, secret and timeout; host-owned, valid for the call.
   * \param[out] out The new connection, owned by the host until it passes it
   *   to `close`. Untouched on failure.
   * \param[out] err Error details on failure.
   * \return OK, INVALID_ARGUMENT (bad config), IO, TIMEOUT, UNAUTHENTICATED,
   *   NOT_FOUND (e.g. missing database file), NO_MEMORY.
   * \since 1.0.0 */
  mcpk_status (*open)(void *plugin_data, const mcpk_connect_args *args,
                      mcpk_connection **out, mcpk_error *err);

  /** \brief Closes and frees a connection. Never fails. No other call on the
   * connection (cancel included) is in flight or follows. \since 1.0.0 */
  void (*close)(mcpk_connection *conn);

  /** \brief Checks that the connection works (a round trip to the source).
   * \param[out] server_version Set to the server's version string on success
   *   (plugin-produced, released by the host); may be left zeroed.
   * \return OK, IO, TIMEOUT, UNAUTHENTICATED. \since 1.0.0 */
  mcpk_status (*test)(mcpk_connection *conn, mcpk_string *server_version, mcpk_error *err);

  /** \brief Runs one statement and streams its result to `sink`.
   * \param[in] query Host-owned, valid for the call.
   * \param[in] sink Host-owned, valid for the call. On OK the plugin has
   *   called `columns`, zero or more `row`, then `end`.
   * \return OK, INVALID_ARGUMENT (syntax, parameter count/type), NOT_FOUND,
   *   FORBIDDEN (write on a read-only connection), TIMEOUT, CANCELLED, IO, or
   *   whatever non-OK status a sink callback returned. Errors from the
   *   source carry `err->sqlstate`. \since 1.0.0 */
  mcpk_status (*execute)(mcpk_connection *conn, const mcpk_query *query,
                         const mcpk_row_sink *sink, mcpk_error *err);

  /** \brief Asks the statement running on `conn` to stop. Callable from any
   * thread while the connection is open; a no-op when nothing runs. The
   * interrupted execute returns ::MCPK_STATUS_CANCELLED.
   * \return OK, or NOT_IMPLEMENTED. \since 1.0.0 */
  mcpk_status (*cancel)(mcpk_connection *conn);

  /** \brief Describes the source's schema as JSON.
   *
   * The JSON (produced by the plugin, released by the host) is
   * `{"schemas":[{"name":S,"tables":[{"name":T,"type":"table"|"view",
   * "columns":[{"name":C,"type":TYPE,"nullable":BOOL,"default":TEXT|null,
   * "position":N}],"constraints":[{"type":"primary_key"|"unique",
   * "name":N,"columns":[C…]} | {"type":"foreign_key","name":N,
   * "columns":[C…],"referenced_schema":S,"referenced_table":T,
   * "referenced_columns":[C…]}]}]}]}`; `tables` is omitted below
   * ::MCPK_SCAN_TABLES, `columns` and `constraints` below
   * ::MCPK_SCAN_COLUMNS. Order: schemas, tables, constraints by name;
   * columns by position.
   * \return OK, NOT_FOUND (filtered schema/table missing), IO, TIMEOUT.
   * \since 1.0.0 */
  mcpk_status (*scan)(mcpk_connection *conn, const mcpk_scan_args *args,
                      mcpk_string *out_json, mcpk_error *err);
} mcpk_connector;

/** \brief Minimum size of ::mcpk_connector at ABI 1.0.0. \since 1.0.0 */
#define MCPK_CONNECTOR_SIZE_1_0_0 (offsetof(mcpk_connector, scan) + sizeof(void (*)(void)))

/** @} */

/** \defgroup mcpk-executor Executors
 * An executor runs steps of one or more component types: `plan` turns a step
 * into a process spec the kernel runs in its sandbox and `finish` turns the
 * outcome into a result; or `invoke` runs the step in-process on a plugin
 * thread, reporting through ::mcpk_invocation.
 * @{
 */

/** \brief A step to plan, finish or invoke. Host-owned, valid for the call.
 * \since 1.0.0 */
typedef struct mcpk_step {
  /** \brief sizeof as the host was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief Component type, e.g. "Python Script". \since 1.0.0 */
  const char *component_type;
  /** \brief The component version's config, JSON object text. \since 1.0.0 */
  const char *config_json;
  /** \brief The step's resolved inputs, JSON object text. \since 1.0.0 */
  const char *inputs_json;
  /** \brief Absolute path of the step's fresh work directory (exists, empty
   * except for `inputs.json`). NULL for an `invoke` of a type declaring
   * ::MCPK_TYPE_NO_WORK_DIR (the inputs are only in inputs_json). \since 1.0.0 */
  const char *work_dir;
  /** \brief Run id. \since 1.0.0 */
  const char *run_id;
  /** \brief Step id within the workflow. \since 1.0.0 */
  const char *step_id;
  /** \brief Attempt number, from 1. \since 1.0.0 */
  int32_t attempt;
  /** \brief Unsealed secrets the component references, a JSON object text
   * (name → value), or NULL. Only for `invoke`; never put them into a
   * process spec. \since 1.0.0 */
  const char *secrets_json;
  /** \brief Kernel-side directory of runtimes and helpers (e.g. the Python
   * venv), or NULL. \since 1.0.0 */
  const char *runtime_dir;
} mcpk_step;

/** \brief How a planned step process ended. Host-owned, valid for the call.
 * \since 1.0.0 */
typedef struct mcpk_outcome {
  /** \brief sizeof as the host was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief Exit status, or -1 if killed by a signal. \since 1.0.0 */
  int32_t exit_code;
  /** \brief Terminating signal number, 0 if none. \since 1.0.0 */
  int32_t term_signal;
  /** \brief 1 if the kernel killed it for its wall-clock timeout. \since 1.0.0 */
  int32_t timed_out;
  /** \brief 1 if the run was cancelled. \since 1.0.0 */
  int32_t cancelled;
  /** \brief The last `result` message from fd 3 (its JSON value text), or
   * NULL if none was sent. \since 1.0.0 */
  const char *result_json;
  /** \brief The last `error` message from fd 3 (JSON text), or NULL.
   * \since 1.0.0 */
  const char *error_json;
  /** \brief The last bytes of stderr (at most 64 KiB), NUL-terminated.
   * \since 1.0.0 */
  const char *stderr_tail;
  /** \brief The last bytes of stdout (at most 64 KiB), NUL-terminated.
   * \since 1.0.0 */
  const char *stdout_tail;
} mcpk_outcome;

/** \brief Host callbacks for one in-process invocation. Host-owned, valid
 * for the duration of mcpk_executor.invoke; every callback is callable only
 * from the invoking thread except `is_cancelled` (any thread).
 * \since 1.0.0 */
typedef struct mcpk_invocation {
  /** \brief sizeof as the host was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief Opaque host data passed to every callback. \since 1.0.0 */
  void *host_data;
  /** \brief Emits a run event for the step: `type` is one of "log",
   * "progress", "result_preview", "artifact"; `payload_json` a JSON object
   * text (borrowed), e.g. `{"message":"…"}` or
   * `{"fraction":0.5,"message":"…"}`.
   * \return OK, INVALID_ARGUMENT (unknown type or bad JSON), CANCELLED (the
   *   step was cancelled: stop and return CANCELLED), IO (an "artifact" the
   *   kernel could not keep: too large, disk; the step's log says why).
   *   \since 1.0.0 */
  mcpk_status (*emit)(void *host_data, const char *type, const char *payload_json);
  /** \brief Returns 1 once the step has been cancelled (or timed out), else
   * 0. Cheap; poll it between blocking operations. Thread-safe.
   * \since 1.0.0 */
  int32_t (*is_cancelled)(void *host_data);
  /** \brief Runs SQL through a connection the component declares, streaming
   * to `sink` as mcpk_connector.execute does.
   * \return OK, NOT_FOUND / FORBIDDEN (undeclared connection), or the
   *   connector's status. \since 1.0.0 */
  mcpk_status (*query)(void *host_data, const char *connection, const mcpk_query *query,
                       const mcpk_row_sink *sink, mcpk_error *err);
  /** \brief Calls an extra operation (::mcpk_op) of a loaded plugin, as the
   * `plugin.call` method does (libffi, arity and types checked first).
   * Check `struct_size` before use: a 1.0.0 host does not have it.
   * \param[in] plugin Plugin name, borrowed.
   * \param[in] op Operation name, borrowed.
   * \param[in] args_json A JSON array of positional arguments, borrowed.
   * \param[out] out_json The operation's return value as JSON text
   *   (host-produced; the plugin calls its `release`).
   * \return OK, NOT_FOUND (no such plugin or op), INVALID_ARGUMENT (arity,
   *   types, bad JSON), INVALID_STATE (the plugin is not ready), CANCELLED.
   * \since 1.1.0 */
  mcpk_status (*call_op)(void *host_data, const char *plugin, const char *op, const char *args_json,
                         mcpk_string *out_json, mcpk_error *err);
} mcpk_invocation;

/** \brief Minimum size of ::mcpk_invocation at ABI 1.0.0 (without call_op).
 * \since 1.1.0 */
#define MCPK_INVOCATION_SIZE_1_0_0 \
  (offsetof(mcpk_invocation, query) + sizeof(void (*)(void)))

/** \brief How a step of a component type runs. \since 1.2.0 */
typedef enum mcpk_execution {
  /** \brief mcpk_executor.plan: a process in the kernel's sandbox (then
   * `finish`). \since 1.2.0 */
  MCPK_EXECUTION_SANDBOX = 1,
  /** \brief mcpk_executor.invoke on a plugin thread. \since 1.2.0 */
  MCPK_EXECUTION_IN_PROCESS = 2
} mcpk_execution;

/** \brief One component type an executor declares (ABI 1.2.0).
 *
 * Plugin-owned, like every member it points to: valid until
 * mcpk_plugin.release returns (static storage is typical). The host copies
 * what it needs at load time and validates it; a malformed declaration
 * (empty name, `config_schema_json` that is not a JSON Schema object the
 * kernel's validator compiles, an unknown `execution`, an execution the table
 * cannot serve) refuses the load with every problem and its path.
 *
 * Loading the plugin makes the type creatable (`component.create` validates
 * configs against the schema, all errors at once with paths) and runnable at
 * once; unloading it leaves existing components readable, and their runs are
 * refused with "no executor for component type '…'".
 *
 * \since 1.2.0
 */
typedef struct mcpk_component_type {
  /** \brief sizeof(mcpk_component_type) as the plugin was compiled.
   * \since 1.2.0 */
  size_t struct_size;
  /** \brief Type name as users see it, e.g. "Shell Script" (1 to 100
   * characters, no surrounding spaces). \since 1.2.0 */
  const char *name;
  /** \brief One-line description, or NULL. \since 1.2.0 */
  const char *description;
  /** \brief JSON Schema (2020-12) text of the config object, without the
   * `type` discriminator (the kernel adds `"type": {"const": name}`).
   * Use `title`, `description`, `default`, `format` and `x-mcpk-*` UI hints
   * (`"x-mcpk-code-language": "shell"` renders a code editor,
   * `"x-mcpk-widget": "textarea"` a multi-line text); the console renders
   * its form from this schema and `component.schema` returns it.
   * \since 1.2.0 */
  const char *config_schema_json;
  /** \brief Names of the step inputs that are secrets, `secret_field_count`
   * entries, or NULL. Only these inputs may carry `${secrets.NAME}`; the
   * kernel resolves them (unsealed, into mcpk_step.secrets_json for
   * `invoke`) and refuses a config that stores a value under such a name.
   * \since 1.2.0 */
  const char *const *secret_fields;
  /** \brief Number of entries in secret_fields. \since 1.2.0 */
  size_t secret_field_count;
  /** \brief An ::mcpk_execution: whether the kernel calls `plan` (sandboxed
   * process) or `invoke` (in-process) for this type. \since 1.2.0 */
  uint32_t execution;
  /** \brief `MCPK_TYPE_*` bits, 0 for none. Read only when the plugin
   * accepted ABI 1.3.0 (`struct_size` does not tell: the member fills what was
   * padding). Unknown bits refuse the load. \since 1.3.0 */
  uint32_t flags;
} mcpk_component_type;

/** \brief Type flag (MCPK_EXECUTION_IN_PROCESS only): `invoke` gets no work
 * directory — mcpk_step.work_dir is NULL and no `inputs.json` is written
 * (the inputs are in mcpk_step.inputs_json). Saves the two directory
 * creations and the file write of every attempt, the largest per-step cost of
 * in-process steps (docs/ARCHITECTURE.md, "In-process steps"). A type that
 * writes files (artifacts, results by file) must not declare it.
 * \since 1.3.0 */
#define MCPK_TYPE_NO_WORK_DIR 1u

/** \brief The executor function table. Owned by the plugin; valid until
 * mcpk_plugin.release returns. \since 1.0.0 */
typedef struct mcpk_executor {
  /** \brief sizeof(mcpk_executor) as the plugin was compiled. \since 1.0.0 */
  size_t struct_size;
  /** \brief Component types handled (e.g. "Python Script"); plugin-owned
   * static array of `component_type_count` strings. \since 1.0.0 */
  const char *const *component_types;
  /** \brief Number of entries in component_types. \since 1.0.0 */
  size_t component_type_count;

  /** \brief Turns a step into a process spec for the sandbox.
   *
   * The spec (plugin-produced JSON object text, released by the host) is
   * `{"argv":[…], "env":{…}, "files":[{"path":REL,"content":TEXT,
   * "mode":INT?}], "network":BOOL, "timeout_ms":INT?, "memory_mb":INT?,
   * "cpu_seconds":INT?, "service":{"port":INT,"health_path":TEXT}?,
   * "binds":[{"source":ABS,"dest":ABS}]?}` (a bind is read-only, `dest`
   * omitted or equal to `source`), and the sandbox's members (docs/SANDBOX.md):
   * - `"requirements":[TEXT]?` pip requirement specifiers → a cached venv
   *   whose interpreter is `{python}` (no pip options);
   * - `"typescript":{"source":REL,"output":REL}?` esbuild in the sandbox, cached;
   * - `"ttl_seconds":INT?` how long a service step lives;
   * - `"connections":[TEXT or {"name":TEXT}]?` the connections the step may use;
   * - `"address_space_limit":BOOL?` false lifts RLIMIT_AS (default true);
   * - `"source":{"git":URL,"ref":TEXT?,"entry":REL}?` a repository the kernel
   *   clones into its cache and binds read-only; the step runs in the checkout;
   * - `"notebook_ref":{"path":REL,"file":REL}?` an .ipynb under the notebook
   *   root, validated and written into the work dir as `file`;
   * - `"runtime":"python"|"node"?` the step runtime the step needs;
   * - `"warm":BOOL?` argv is a Python program the kernel may run as a fresh
   *   fork of a warm runner (never for services).
   *
   * argv and env values may use the placeholders `{python}`, `{runtime}`,
   * `{work}`, `{port}`, `{source}` and `{entry}`. Unknown members are ignored;
   * `files` are written into the work dir before start.
   * NULL if the executor only supports `invoke`.
   * \return OK, INVALID_ARGUMENT (bad config / inputs), NOT_IMPLEMENTED.
   * \since 1.0.0 */
  mcpk_status (*plan)(void *plugin_data, const mcpk_step *step, mcpk_string *out_spec_json,
                      mcpk_error *err);

  /** \brief Turns the outcome of a planned process into the step result.
   * \param[out] out_result_json The result, any JSON value text
   *   (plugin-produced, released by the host).
   * \return OK, or a failure whose `err->message` becomes the step error
   *   (e.g. a traceback). NULL means: the fd 3 `result` is the result and a
   *   non-zero exit fails the step. \since 1.0.0 */
  mcpk_status (*finish)(void *plugin_data, const mcpk_step *step, const mcpk_outcome *outcome,
                        mcpk_string *out_result_json, mcpk_error *err);

  /** \brief Runs the step in-process on a dedicated plugin thread.
   * \param[in] inv Host callbacks for events, cancellation and queries.
   * \param[out] out_result_json The result, JSON text (plugin-produced,
   *   released by the host).
   * \return OK, CANCELLED, TIMEOUT, IO, INVALID_ARGUMENT, … ; NULL if the
   *   executor only supports plan/finish. \since 1.0.0 */
  mcpk_status (*invoke)(void *plugin_data, const mcpk_step *step, const mcpk_invocation *inv,
                        mcpk_string *out_result_json, mcpk_error *err);

  /** \brief Declared component types, `type_def_count` entries; plugin-owned
   * (see ::mcpk_component_type), or NULL. Read only when the plugin accepted
   * ABI 1.2.0 and `struct_size` covers this member. A declared type is served
   * whether or not its name is also in `component_types`. \since 1.2.0 */
  const mcpk_component_type *type_defs;
  /** \brief Number of entries in type_defs. \since 1.2.0 */
  size_t type_def_count;
} mcpk_executor;

/** \brief Minimum size of ::mcpk_executor at ABI 1.0.0. \since 1.0.0 */
#define MCPK_EXECUTOR_SIZE_1_0_0 (offsetof(mcpk_executor, invoke) + sizeof(void (*)(void)))

/** \brief Size of ::mcpk_executor with the 1.2.0 members (type_defs).
 * \since 1.2.0 */
#define MCPK_EXECUTOR_SIZE_1_2_0 (offsetof(mcpk_executor, type_def_count) + sizeof(size_t))

/** \brief Minimum size of ::mcpk_component_type at ABI 1.2.0. \since 1.2.0 */
#define MCPK_COMPONENT_TYPE_SIZE_1_2_0 (offsetof(mcpk_component_type, execution) + sizeof(uint32_t))

/** @} */

/** \defgroup mcpk-ops Extra operations
 * Named C functions the host calls through libffi and exposes as the
 * `plugin.call {plugin, op, args}` method.
 *
 * A signature string is the return type code followed by the argument type
 * codes in parentheses, e.g. `"s(si)"` for
 * `char *f(const char *, int32_t)`. Codes:
 *
 * | code | C type          | JSON                         |
 * |------|-----------------|------------------------------|
 * | `v`  | void            | null (return only)           |
 * | `b`  | int32_t (0/1)   | true / false                 |
 * | `i`  | int32_t         | integer in int32 range       |
 * | `l`  | int64_t         | integer                      |
 * | `d`  | double          | number                       |
 * | `s`  | const char * / char * | string (argument) / string or null (return) |
 *
 * Arguments are borrowed for the call. An `s` return value must be allocated
 * with mcpk_host.alloc (the host frees it with mcpk_host.free), or be NULL
 * (JSON null). The host checks arity and types before the call: a mismatch
 * is `invalid_params` and the function is not called. At most
 * ::MCPK_OP_MAX_ARGS arguments.
 * @{
 */

/** \brief Maximum number of arguments of an extra operation. \since 1.0.0 */
#define MCPK_OP_MAX_ARGS 16

/** \brief A generic function pointer, cast by the host according to the
 * signature. \since 1.0.0 */
typedef void (*mcpk_op_fn)(void);

/** \brief One extra operation. Plugin-owned, static. \since 1.0.0 */
typedef struct mcpk_op {
  /** \brief Operation name as used by `plugin.call`. \since 1.0.0 */
  const char *name;
  /** \brief Signature string, e.g. "s(si)". \since 1.0.0 */
  const char *signature;
  /** \brief The function, or NULL to look up `symbol` with dlsym.
   * \since 1.0.0 */
  mcpk_op_fn fn;
  /** \brief Exported symbol name, used when `fn` is NULL. \since 1.0.0 */
  const char *symbol;
  /** \brief One-line description, or NULL. \since 1.0.0 */
  const char *description;
} mcpk_op;

/** @} */

/** \defgroup mcpk-plugin Plugin metadata and init
 * @{
 */

/** \brief Plugin kinds (bit flags for mcpk_plugin.kinds). \since 1.0.0 */
typedef enum mcpk_kind {
  MCPK_KIND_CONNECTOR = 1, /**< Fills mcpk_plugin.connector. \since 1.0.0 */
  MCPK_KIND_EXECUTOR = 2   /**< Fills mcpk_plugin.executor. \since 1.0.0 */
} mcpk_kind;

/** \brief What mcpk_plugin_init() fills: metadata and tables.
 *
 * The host passes a zeroed struct of `out_size` bytes. Every pointer member
 * is plugin-owned and must stay valid until `release` returns (static
 * storage is typical).
 *
 * \since 1.0.0
 */
typedef struct mcpk_plugin {
  /** \brief sizeof(mcpk_plugin) as the plugin was compiled (at most
   * `out_size`). \since 1.0.0 */
  size_t struct_size;
  /** \brief The ABI version the plugin implements in this init: the
   * `host_abi` it accepted. \since 1.0.0 */
  uint32_t abi_version;
  /** \brief Unique name, [a-z0-9_-]+, e.g. "postgres". \since 1.0.0 */
  const char *name;
  /** \brief Plugin version, e.g. "1.2.0". \since 1.0.0 */
  const char *version;
  /** \brief One-line description, or NULL. \since 1.0.0 */
  const char *description;
  /** \brief Bitwise OR of ::mcpk_kind. \since 1.0.0 */
  uint32_t kinds;
  /** \brief JSON Schema (text) of a connection's config object, or NULL.
   * \since 1.0.0 */
  const char *config_schema_json;
  /** \brief Connector table if kinds has ::MCPK_KIND_CONNECTOR, else NULL.
   * \since 1.0.0 */
  const mcpk_connector *connector;
  /** \brief Executor table if kinds has ::MCPK_KIND_EXECUTOR, else NULL.
   * \since 1.0.0 */
  const mcpk_executor *executor;
  /** \brief Array of `op_count` extra operations, or NULL. \since 1.0.0 */
  const mcpk_op *ops;
  /** \brief Number of entries in ops. \since 1.0.0 */
  size_t op_count;
  /** \brief Plugin-wide data passed as `plugin_data` to table functions.
   * \since 1.0.0 */
  void *private_data;
  /** \brief Called once before the library is unloaded, after every
   * connection was closed; frees `private_data`. May be NULL. \since 1.0.0 */
  void (*release)(struct mcpk_plugin *plugin);
} mcpk_plugin;

/** \brief Minimum size of ::mcpk_plugin at ABI 1.0.0. \since 1.0.0 */
#define MCPK_PLUGIN_SIZE_1_0_0 \
  (offsetof(mcpk_plugin, release) + sizeof(void (*)(struct mcpk_plugin *)))

/** \brief Type of mcpk_plugin_init(). \since 1.0.0 */
typedef mcpk_status (*mcpk_plugin_init_fn)(uint32_t host_abi, const mcpk_host *host,
                                           mcpk_plugin *out, size_t out_size, mcpk_error *err);

/** \brief The one symbol a plugin exports.
 *
 * Called once per load, on a host thread, before any other call.
 *
 * \param[in] host_abi The ABI version the host asks for (newest first).
 * \param[in] host The host table; host-owned, valid until `out->release`
 *   returns. Keep the pointer, not a copy.
 * \param[out] out Zeroed by the host; the plugin fills at most `out_size`
 *   bytes and sets `struct_size` and `abi_version`.
 * \param[in] out_size Size of `*out` in bytes.
 * \param[out] err Zero-initialised by the host; filled on failure.
 * \return OK; NOT_IMPLEMENTED if the plugin lacks `host_abi` (the host
 *   retries an older ABI); INVALID_ARGUMENT if `out_size` is smaller than
 *   the plugin needs; any other status for an init failure (reported with
 *   `err->message` as the load error).
 * \since 1.0.0
 */
MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *host,
                                         mcpk_plugin *out, size_t out_size, mcpk_error *err);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* MCPK_PLUGIN_H */
