/*
 * arrow_cells.h: Arrow C data interface arrays → mcpk cells, without Arrow C++.
 *
 * A column's Arrow format string is parsed once (arrow_column_init); each cell
 * is then decoded straight from the array's buffers. Scalars map to the host's
 * cell types (null, bool, int64, double, text, bytes); dates, times,
 * timestamps, decimals and intervals become text in fixed renderings; lists,
 * structs and maps become JSON text (docs/PLUGINS.md, "The ADBC bridge").
 */
#ifndef MCPK_ARROW_CELLS_H
#define MCPK_ARROW_CELLS_H

#include "adbc_abi.h"
#include "mcpk/plugin.h"

/** What a format string denotes. */
typedef enum arrow_kind {
  AK_NULL, AK_BOOL, AK_INT, AK_UINT, AK_HALF, AK_FLOAT, AK_DOUBLE,
  AK_UTF8, AK_LARGE_UTF8, AK_UTF8_VIEW, AK_BINARY, AK_LARGE_BINARY, AK_BINARY_VIEW, AK_FIXED_BINARY,
  AK_DATE32, AK_DATE64, AK_TIME32, AK_TIME64, AK_TIMESTAMP, AK_DURATION,
  AK_INTERVAL_MONTHS, AK_INTERVAL_DAY_TIME, AK_INTERVAL_MDN, AK_DECIMAL,
  AK_LIST, AK_LARGE_LIST, AK_FIXED_LIST, AK_STRUCT, AK_MAP,
  AK_UNSUPPORTED
} arrow_kind;

/** A parsed format string. */
typedef struct arrow_type {
  arrow_kind kind;
  int bits;         /* integer / decimal width in bits */
  int unit;         /* time unit: 0 s, 3 ms, 6 us, 9 ns */
  int precision;    /* decimal */
  int scale;        /* decimal */
  int fixed;        /* fixed-size binary bytes / fixed list length */
  const char *tz;   /* timestamp zone ("" when naive); points into the format */
} arrow_type;

/** A growable byte buffer (text renderings live here until the next row). */
typedef struct arrow_buf {
  char *data;
  size_t len, cap;
  int failed; /* out of memory */
} arrow_buf;

/** One result column: its schema, parsed type, and the host column it becomes. */
typedef struct arrow_column {
  const struct ArrowSchema *schema;
  arrow_type type;
  int32_t mcpk_type;
  char type_name[128];
  arrow_buf text; /* scratch for this column's rendered cell */
} arrow_column;

/** Parses `format`. Unknown formats give AK_UNSUPPORTED. */
arrow_type arrow_parse_format(const char *format);

/** Prepares a column. Returns 0, or -1 with a message in `msg` when the type
 * (or a nested child type) cannot be decoded. */
int arrow_column_init(arrow_column *c, const struct ArrowSchema *schema, char *msg, size_t msglen);

void arrow_column_free(arrow_column *c);

/** Decodes row `row` (relative to the array, its offset applied inside) of
 * `array` into `out`. Text and bytes point into the array or into the
 * column's scratch buffer: valid until the next call for this column or the
 * array's release. Returns 0, or -1 (out of memory / malformed array) with a
 * message. */
int arrow_cell(arrow_column *c, const struct ArrowArray *array, int64_t row, mcpk_value *out, char *msg, size_t msglen);

/** Appends the JSON rendering of one value (any supported type) to `b`. */
int arrow_render_json(const struct ArrowSchema *schema, const struct ArrowArray *array, int64_t row, arrow_buf *b);

/** The field metadata value for `key`, or NULL (Arrow's binary metadata
 * encoding); `len` receives its length. */
const char *arrow_metadata_value(const char *metadata, const char *key, int32_t *len);

void arrow_buf_put(arrow_buf *b, const char *s, size_t n);
void arrow_buf_puts(arrow_buf *b, const char *s);

/* ---- accessors for reading driver-produced metadata (GetObjects, GetInfo) ---- */

/** Index of the child named `name`, or -1. */
int arrow_child_index(const struct ArrowSchema *schema, const char *name);

/** The string (utf8/binary, any width or view) at logical `row`: 0 with data,
 * 1 when null, -1 when the type is not a string. */
int arrow_get_string(const struct ArrowSchema *schema, const struct ArrowArray *array, int64_t row,
                     const char **data, size_t *len);

/** The integer or boolean at logical `row`: 0 with value, 1 when null, -1 for another type. */
int arrow_get_int(const struct ArrowSchema *schema, const struct ArrowArray *array, int64_t row, int64_t *value);

/** A list's child range [start, end) at logical `row` (child logical rows):
 * 0, 1 when null, -1 when not a list. */
int arrow_list_range(const struct ArrowSchema *schema, const struct ArrowArray *array, int64_t row,
                     int64_t *start, int64_t *end);

/** The physical index of logical `row` (what a struct's children are indexed by). */
static inline int64_t arrow_physical(const struct ArrowArray *array, int64_t row) { return array->offset + row; }

#endif /* MCPK_ARROW_CELLS_H */
