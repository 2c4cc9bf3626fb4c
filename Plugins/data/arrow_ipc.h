/*
 * arrow_ipc.h: a streaming Arrow IPC writer (the IPC *streaming* format: a
 * Schema message, RecordBatch messages, the end-of-stream marker), written
 * by hand without Arrow C++ or nanoarrow (docs/ARCHITECTURE.md, "Data steps
 * keep results as Arrow", says why).
 *
 * Rows are appended one at a time from the host's typed cells; every
 * ARROW_IPC_BATCH_ROWS rows (or ARROW_IPC_BATCH_BYTES of column data) the
 * builders are flushed as one RecordBatch and reset, so memory stays bounded
 * by one batch whatever the row count.
 *
 * Column types (decided once, from the connector's column description):
 *   bool → bool, int64 → int64, double → float64, bytes → binary,
 *   text → utf8, except a column whose database type is PostgreSQL's
 *   `timestamp` / `timestamptz` / `date` or Arrow's `timestamp[...]` /
 *   `date32` / `date64` (the ADBC bridge's type names), which becomes
 *   timestamp[us] (zone "UTC" when the type has a zone) or date32, parsed
 *   from the ISO 8601 text the connectors render. A column the connector
 *   could not type (null type, or text without a database type: a SQLite
 *   expression) takes the type of its first non-null cell in the first
 *   batch (utf8 when that batch holds only nulls).
 * A cell whose type does not fit its column (text in an int64 column) is an
 * error naming the column and row; an int64 in a double column is widened,
 * and any scalar in a utf8 column is written as its text.
 */
#ifndef MCPK_ARROW_IPC_H
#define MCPK_ARROW_IPC_H

#include <stdint.h>
#include <stdio.h>

#include "mcpk/plugin.h"

/** Rows per RecordBatch. */
#define ARROW_IPC_BATCH_ROWS 65536
/** Column data (values + variable-length bytes) that closes a batch early. */
#define ARROW_IPC_BATCH_BYTES (8 * 1024 * 1024)
/** Longest error message. */
#define ARROW_IPC_MAX_MESSAGE 512

typedef struct arrow_ipc_writer arrow_ipc_writer;

/** Creates `path` (must not exist; mode 0600); the Schema message follows
 * with the first batch.
 * `max_bytes` bounds the whole file (the writer fails naming it past that).
 * Returns NULL with a message in `msg`. */
arrow_ipc_writer *arrow_ipc_open(const char *path, const mcpk_column *cols, size_t count, int64_t max_bytes,
                                 char *msg, size_t msglen);

/** Appends one row (`count` must equal the column count). Returns 0, or -1
 * with a message (type mismatch, unparsable timestamp, size limit, I/O). */
int arrow_ipc_append(arrow_ipc_writer *w, const mcpk_value *cells, size_t count, char *msg, size_t msglen);

/** Flushes the last batch, writes the end-of-stream marker and closes the
 * file (counts and column types stay readable until arrow_ipc_free).
 * Returns 0, or -1 with a message. */
int arrow_ipc_finish(arrow_ipc_writer *w, char *msg, size_t msglen);

/** Frees the writer (closing the file if arrow_ipc_finish did not; the
 * caller removes an unfinished file). */
void arrow_ipc_free(arrow_ipc_writer *w);

/** Rows, RecordBatch messages and bytes written so far. */
int64_t arrow_ipc_rows(const arrow_ipc_writer *w);
int64_t arrow_ipc_batches(const arrow_ipc_writer *w);
int64_t arrow_ipc_bytes(const arrow_ipc_writer *w);

/** The Arrow type the writer gives a column ("int64", "timestamp[us, UTC]"…;
 * "pending" before the first batch settled an untyped column). */
const char *arrow_ipc_column_type(const arrow_ipc_writer *w, size_t i);

#endif /* MCPK_ARROW_IPC_H */
