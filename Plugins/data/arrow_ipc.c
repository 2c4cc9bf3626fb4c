/* arrow_ipc.c: the streaming Arrow IPC writer (arrow_ipc.h).
 *
 * Format (Arrow columnar spec, "IPC Streaming Format", metadata version V5):
 *   message  = 0xFFFFFFFF, int32 metadata size M, flatbuffer `Message`
 *              padded so that 8 + M is a multiple of 8, then the body
 *              (bodyLength bytes, every buffer padded to 8 bytes)
 *   stream   = Schema message, RecordBatch message*, 0xFFFFFFFF 0x00000000
 * The flatbuffers (Message.fbs, Schema.fbs) are laid out front to back by a
 * tiny builder: a table's vtable just before it, a referenced child (string,
 * vector, table) always after its referrer, so every uoffset is positive and
 * patched once the child's position is known. Scalars sit at their natural
 * alignment relative to the buffer's start (what flatbuffers' verifier checks).
 *
 * The Schema message is written with the first batch (or at finish), once
 * the columns the connector could not type have taken their first cell's type.
 *
 * Ownership: the writer owns its FILE and builders; cells are copied into
 * the builders before arrow_ipc_append returns. */
#define _POSIX_C_SOURCE 200809L /* fdopen, O_CLOEXEC, O_NOFOLLOW */
#include "arrow_ipc.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- growable buffer -------------------------------------------------- */

typedef struct {
  uint8_t *d;
  size_t len, cap;
  int failed;
} ipc_buf;

static int ipc_reserve(ipc_buf *b, size_t extra) {
  if (b->failed) return -1;
  if (b->len + extra <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra) cap *= 2;
  uint8_t *d = realloc(b->d, cap);
  if (!d) { b->failed = 1; return -1; }
  b->d = d;
  b->cap = cap;
  return 0;
}

static size_t ipc_put(ipc_buf *b, const void *p, size_t n) {
  size_t at = b->len;
  if (ipc_reserve(b, n)) return at;
  if (p) memcpy(b->d + b->len, p, n);
  else memset(b->d + b->len, 0, n);
  b->len += n;
  return at;
}

/* Zero bytes until len % align == 0. */
static void ipc_align(ipc_buf *b, size_t align) {
  size_t pad = (align - b->len % align) % align;
  if (pad) ipc_put(b, NULL, pad);
}

static void ipc_u32_at(ipc_buf *b, size_t at, uint32_t v) { if (!b->failed) memcpy(b->d + at, &v, 4); }

/* ---- flatbuffer builder (front to back) ------------------------------- */

/* One table slot: size 0 (absent), 1, 2, 4, 8 bytes of `value`, or an
 * offset (size 4, is_offset) whose position is reported for patching. */
typedef struct {
  uint8_t size;
  uint8_t is_offset;
  uint64_t value;
} fb_slot;

#define FB_MAX_SLOTS 8

/* Writes a vtable and its table; returns the table's position and fills
 * `where[i]` with the position of each offset slot. */
static size_t fb_table(ipc_buf *b, const fb_slot *s, int n, size_t *where) {
  uint16_t off[FB_MAX_SLOTS] = {0};
  size_t size = 4; /* the soffset to the vtable */
  for (int width = 8; width >= 1; width /= 2)
    for (int i = 0; i < n; i++) {
      if (s[i].size != width) continue;
      size = (size + (size_t)width - 1) / (size_t)width * (size_t)width;
      off[i] = (uint16_t)size;
      size += (size_t)width;
    }
  ipc_align(b, 2);
  size_t vt = b->len;
  uint16_t head[2] = {(uint16_t)(4 + 2 * n), (uint16_t)size};
  ipc_put(b, head, sizeof head);
  ipc_put(b, off, (size_t)n * 2);
  ipc_align(b, 8); /* tables start 8-aligned: 8-byte scalars at offsets multiple of 8 */
  size_t t = ipc_put(b, NULL, size);
  if (b->failed) return t;
  int32_t so = (int32_t)(t - vt);
  memcpy(b->d + t, &so, 4);
  for (int i = 0; i < n; i++) {
    if (!s[i].size) continue;
    if (where) where[i] = t + off[i];
    if (s[i].is_offset) continue;
    uint64_t v = s[i].value;
    switch (s[i].size) {
      case 1: { uint8_t x = (uint8_t)v; memcpy(b->d + t + off[i], &x, 1); break; }
      case 2: { uint16_t x = (uint16_t)v; memcpy(b->d + t + off[i], &x, 2); break; }
      case 4: { uint32_t x = (uint32_t)v; memcpy(b->d + t + off[i], &x, 4); break; }
      default: memcpy(b->d + t + off[i], &v, 8); break;
    }
  }
  return t;
}

static void fb_patch(ipc_buf *b, size_t at, size_t target) { ipc_u32_at(b, at, (uint32_t)(target - at)); }

static size_t fb_string(ipc_buf *b, const char *s, size_t n) {
  ipc_align(b, 4);
  uint32_t len = (uint32_t)n;
  size_t at = ipc_put(b, &len, 4);
  ipc_put(b, s, n);
  ipc_put(b, NULL, 1);
  return at;
}

/* A vector of `count` structs of `elem` bytes with 8-byte members: the
 * elements start 8-aligned. */
static size_t fb_struct_vector(ipc_buf *b, const void *data, uint32_t count, size_t elem) {
  ipc_align(b, 8);
  ipc_put(b, NULL, 4); /* so that the elements after the length are 8-aligned */
  size_t at = ipc_put(b, &count, 4);
  ipc_put(b, data, (size_t)count * elem);
  return at;
}

/* A vector of `count` offsets; returns its position (element i at +4+4i). */
static size_t fb_offset_vector(ipc_buf *b, uint32_t count) {
  ipc_align(b, 4);
  size_t at = ipc_put(b, &count, 4);
  ipc_put(b, NULL, (size_t)count * 4);
  return at;
}

/* ---- columns ---------------------------------------------------------- */

/* COL_PENDING: a column the connector could not type (no database type, e.g. a SQLite
 * expression): its first non-null cell in the first batch decides (all null: utf8). */
typedef enum { COL_BOOL, COL_INT64, COL_DOUBLE, COL_UTF8, COL_BINARY, COL_DATE32, COL_TIMESTAMP, COL_PENDING } col_kind;

typedef struct {
  char *name;
  col_kind kind;
  int zoned;        /* timestamp with zone "UTC" */
  ipc_buf validity; /* bitmap */
  ipc_buf values;   /* fixed-width values, bool bitmap, or int32 offsets */
  ipc_buf data;     /* variable-length bytes */
  int64_t nulls;
} ipc_col;

struct arrow_ipc_writer {
  FILE *f;
  ipc_col *cols;
  size_t ncols;
  int64_t batch_rows; /* rows in the open batch */
  int64_t rows, batches, bytes, max_bytes;
  ipc_buf meta;       /* scratch for flatbuffers */
  int schema_written; /* the Schema message goes out with the first batch (pending columns settled) */
};

static void ipc_msg(char *msg, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, n, fmt, ap);
  va_end(ap);
}

static col_kind kind_for(const mcpk_column *c, int *zoned) {
  *zoned = 0;
  const char *t = c->type_name ? c->type_name : "";
  switch (c->type) {
    case MCPK_TYPE_BOOL: return COL_BOOL;
    case MCPK_TYPE_INT64: return COL_INT64;
    case MCPK_TYPE_DOUBLE: return COL_DOUBLE;
    case MCPK_TYPE_BYTES: return COL_BINARY;
    case MCPK_TYPE_NULL: return COL_PENDING;
    case MCPK_TYPE_TEXT:
      if (!c->type_name) return COL_PENDING;
      /* PostgreSQL's names and the ADBC bridge's Arrow names (case-sensitive: SQLite's
       * declared types such as "TIMESTAMP" are free-form affinity hints and stay text). */
      if (!strcmp(t, "timestamptz")) { *zoned = 1; return COL_TIMESTAMP; }
      if (!strcmp(t, "timestamp")) return COL_TIMESTAMP;
      if (!strncmp(t, "timestamp[", 10)) { *zoned = strchr(t, ',') != NULL; return COL_TIMESTAMP; }
      if (!strcmp(t, "date") || !strcmp(t, "date32") || !strcmp(t, "date64")) return COL_DATE32;
      return COL_UTF8;
    default: return COL_UTF8;
  }
}

const char *arrow_ipc_column_type(const arrow_ipc_writer *w, size_t i) {
  if (i >= w->ncols) return "";
  switch (w->cols[i].kind) {
    case COL_BOOL: return "bool";
    case COL_INT64: return "int64";
    case COL_DOUBLE: return "double";
    case COL_BINARY: return "binary";
    case COL_DATE32: return "date32[day]";
    case COL_TIMESTAMP: return w->cols[i].zoned ? "timestamp[us, UTC]" : "timestamp[us]";
    case COL_PENDING: return "pending";
    default: return "string";
  }
}

/* Writes `n` bytes to the file, counting them against the limit. */
static int ipc_write(arrow_ipc_writer *w, const void *p, size_t n, char *msg, size_t msglen) {
  if (w->bytes + (int64_t)n > w->max_bytes) {
    ipc_msg(msg, msglen, "the Arrow result would exceed %" PRId64 " bytes (the artifact size limit); "
            "lower maxRows or select fewer columns", w->max_bytes);
    return -1;
  }
  if (n && fwrite(p, 1, n, w->f) != n) { ipc_msg(msg, msglen, "writing the Arrow result: %s", strerror(errno)); return -1; }
  w->bytes += (int64_t)n;
  return 0;
}

/* Frames the flatbuffer in w->meta as one message followed by `body_len` body bytes (written by the caller). */
static int ipc_write_message(arrow_ipc_writer *w, char *msg, size_t msglen) {
  if (w->meta.failed) { ipc_msg(msg, msglen, "out of memory"); return -1; }
  ipc_align(&w->meta, 8); /* 8 + M is a multiple of 8 because M is */
  uint32_t head[2] = {0xFFFFFFFFu, (uint32_t)w->meta.len};
  if (w->meta.failed) { ipc_msg(msg, msglen, "out of memory"); return -1; }
  if (ipc_write(w, head, sizeof head, msg, msglen)) return -1;
  return ipc_write(w, w->meta.d, w->meta.len, msg, msglen);
}

/* The root offset, then Message{version V5, header_type, header, bodyLength}; returns the header slot position. */
static size_t ipc_message_table(ipc_buf *b, uint8_t header_type, int64_t body_len) {
  b->len = 0;
  ipc_put(b, NULL, 4);
  fb_slot s[4] = {{2, 0, 4 /* MetadataVersion.V5 */}, {1, 0, header_type}, {4, 1, 0}, {8, 0, (uint64_t)body_len}};
  size_t where[4] = {0};
  size_t t = fb_table(b, s, 4, where);
  fb_patch(b, 0, t);
  return where[2];
}

static int ipc_write_schema(arrow_ipc_writer *w, char *msg, size_t msglen) {
  ipc_buf *b = &w->meta;
  size_t header = ipc_message_table(b, 1 /* Schema */, 0);
  fb_slot ss[2] = {{2, 0, 0 /* Little */}, {4, 1, 0}};
  size_t sw[2] = {0};
  size_t schema = fb_table(b, ss, 2, sw);
  fb_patch(b, header, schema);
  size_t fields = fb_offset_vector(b, (uint32_t)w->ncols);
  fb_patch(b, sw[1], fields);
  for (size_t i = 0; i < w->ncols && !b->failed; i++) {
    const ipc_col *c = &w->cols[i];
    uint8_t type_tag;
    switch (c->kind) {
      case COL_BOOL: type_tag = 6; break;
      case COL_INT64: type_tag = 2; break;
      case COL_DOUBLE: type_tag = 3; break;
      case COL_BINARY: type_tag = 4; break;
      case COL_DATE32: type_tag = 8; break;
      case COL_TIMESTAMP: type_tag = 10; break;
      default: type_tag = 5; break;
    }
    /* Field{name, nullable, type_type, type, dictionary, children} */
    fb_slot fs[6] = {{4, 1, 0}, {1, 0, 1}, {1, 0, type_tag}, {4, 1, 0}, {0, 0, 0}, {4, 1, 0}};
    size_t fw[6] = {0};
    size_t field = fb_table(b, fs, 6, fw);
    fb_patch(b, fields + 4 + 4 * i, field);
    fb_patch(b, fw[0], fb_string(b, c->name, strlen(c->name)));
    size_t type;
    size_t tw[2] = {0};
    switch (c->kind) {
      case COL_INT64: { fb_slot t[2] = {{4, 0, 64}, {1, 0, 1}}; type = fb_table(b, t, 2, NULL); break; }
      case COL_DOUBLE: { fb_slot t[1] = {{2, 0, 2 /* DOUBLE */}}; type = fb_table(b, t, 1, NULL); break; }
      case COL_DATE32: { fb_slot t[1] = {{2, 0, 0 /* DAY */}}; type = fb_table(b, t, 1, NULL); break; }
      case COL_TIMESTAMP: {
        fb_slot t[2] = {{2, 0, 2 /* MICROSECOND */}, {c->zoned ? 4 : 0, 1, 0}};
        type = fb_table(b, t, 2, tw);
        if (c->zoned) fb_patch(b, tw[1], fb_string(b, "UTC", 3));
        break;
      }
      default: type = fb_table(b, NULL, 0, NULL); break; /* Bool, Utf8, Binary: empty tables */
    }
    fb_patch(b, fw[3], type);
    fb_patch(b, fw[5], fb_offset_vector(b, 0));
  }
  return ipc_write_message(w, msg, msglen);
}

/* ---- builders --------------------------------------------------------- */

static void bit_set(ipc_buf *b, int64_t i, int on) {
  size_t byte = (size_t)(i / 8);
  if (byte >= b->len) ipc_put(b, NULL, byte + 1 - b->len);
  if (!b->failed && on) b->d[byte] |= (uint8_t)(1u << (i % 8));
}

static void col_reset(ipc_col *c) {
  c->validity.len = 0;
  c->values.len = 0;
  c->data.len = 0;
  c->nulls = 0;
  if (c->kind == COL_UTF8 || c->kind == COL_BINARY) { int32_t zero = 0; ipc_put(&c->values, &zero, 4); }
}

static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int digits(const char *s, size_t n, size_t at, int count, int *out) {
  if (at + (size_t)count > n) return -1;
  int v = 0;
  for (int i = 0; i < count; i++) {
    char ch = s[at + (size_t)i];
    if (ch < '0' || ch > '9') return -1;
    v = v * 10 + (ch - '0');
  }
  *out = v;
  return 0;
}

/* "YYYY-MM-DD" → days since the epoch; `end` receives the index after it. */
static int parse_date(const char *s, size_t n, int64_t *days, size_t *end) {
  int y, m, d;
  if (digits(s, n, 0, 4, &y) || n < 10 || s[4] != '-' || digits(s, n, 5, 2, &m) || s[7] != '-' || digits(s, n, 8, 2, &d)) return -1;
  if (m < 1 || m > 12 || d < 1 || d > 31) return -1;
  *days = days_from_civil(y, m, d);
  *end = 10;
  return 0;
}

/* ISO 8601 / PostgreSQL text: "YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}][Z|±HH[[:]MM]]" → microseconds (UTC when an offset is given). */
static int parse_timestamp(const char *s, size_t n, int64_t *us) {
  int64_t days;
  size_t i;
  int hh, mm, ss;
  if (parse_date(s, n, &days, &i)) return -1;
  if (i >= n || (s[i] != 'T' && s[i] != ' ')) return -1;
  i++;
  if (digits(s, n, i, 2, &hh) || i + 8 > n || s[i + 2] != ':' || digits(s, n, i + 3, 2, &mm) || s[i + 5] != ':' ||
      digits(s, n, i + 6, 2, &ss) || hh > 23 || mm > 59 || ss > 60)
    return -1;
  i += 8;
  int64_t frac = 0;
  if (i < n && s[i] == '.') {
    i++;
    int count = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
      if (count < 6) frac = frac * 10 + (s[i] - '0');
      else if (s[i] != '0') return -1; /* sub-microsecond digits would be lost */
      count++;
      i++;
    }
    if (count == 0) return -1;
    for (int k = count; k < 6; k++) frac *= 10;
  }
  int64_t offset = 0;
  if (i < n && s[i] == 'Z') i++;
  else if (i < n && (s[i] == '+' || s[i] == '-')) {
    int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
    i++;
    if (digits(s, n, i, 2, &oh)) return -1;
    i += 2;
    if (i < n && s[i] == ':') i++;
    if (i < n) { if (digits(s, n, i, 2, &om)) return -1; i += 2; }
    offset = sign * ((int64_t)oh * 3600 + om * 60);
  }
  if (i != n) return -1;
  *us = ((days * 86400 + hh * 3600 + mm * 60 + ss) - offset) * 1000000 + frac;
  return 0;
}

static const char *cell_type_name(int32_t t) {
  switch (t) {
    case MCPK_TYPE_BOOL: return "bool";
    case MCPK_TYPE_INT64: return "int64";
    case MCPK_TYPE_DOUBLE: return "double";
    case MCPK_TYPE_TEXT: return "text";
    case MCPK_TYPE_BYTES: return "bytes";
    default: return "null";
  }
}

/* A pending column takes the kind of its first non-null cell; the `row` nulls before it get
 * their placeholder values. */
static void col_settle(ipc_col *c, int32_t type, int64_t row) {
  switch (type) {
    case MCPK_TYPE_BOOL: c->kind = COL_BOOL; break;
    case MCPK_TYPE_INT64: c->kind = COL_INT64; break;
    case MCPK_TYPE_DOUBLE: c->kind = COL_DOUBLE; break;
    case MCPK_TYPE_BYTES: c->kind = COL_BINARY; break;
    default: c->kind = COL_UTF8; break;
  }
  c->values.len = 0;
  if (c->kind == COL_INT64 || c->kind == COL_DOUBLE) ipc_put(&c->values, NULL, (size_t)row * 8);
  else if (c->kind == COL_UTF8 || c->kind == COL_BINARY) ipc_put(&c->values, NULL, (size_t)(row + 1) * 4);
  /* bool: an empty bitmap reads as false and grows on demand */
}

static int col_append(arrow_ipc_writer *w, ipc_col *c, const mcpk_value *v, char *msg, size_t msglen) {
  int64_t row = w->batch_rows;
  int null = v->type == MCPK_TYPE_NULL;
  if (c->kind == COL_PENDING) {
    if (null) { bit_set(&c->validity, row, 0); c->nulls++; return c->validity.failed ? (ipc_msg(msg, msglen, "out of memory"), -1) : 0; }
    col_settle(c, v->type, row);
  }
  bit_set(&c->validity, row, !null);
  if (null) c->nulls++;
  char text[64];
  const char *s = v->v.s.data ? v->v.s.data : "";
  size_t n = v->v.s.data ? v->v.s.length : 0;
  switch (c->kind) {
    case COL_BOOL:
      if (!null && v->type != MCPK_TYPE_BOOL) goto mismatch;
      bit_set(&c->values, row, !null && v->v.b);
      break;
    case COL_INT64: {
      int64_t x = 0;
      if (v->type == MCPK_TYPE_INT64) x = v->v.i;
      else if (v->type == MCPK_TYPE_BOOL) x = v->v.b != 0;
      else if (!null) goto mismatch;
      ipc_put(&c->values, &x, 8);
      break;
    }
    case COL_DOUBLE: {
      double x = 0;
      if (v->type == MCPK_TYPE_DOUBLE) x = v->v.d;
      else if (v->type == MCPK_TYPE_INT64) x = (double)v->v.i;
      else if (!null) goto mismatch;
      ipc_put(&c->values, &x, 8);
      break;
    }
    case COL_DATE32: {
      int64_t days = 0;
      size_t end = 0;
      if (!null) {
        if (v->type != MCPK_TYPE_TEXT) goto mismatch;
        if (parse_date(s, n, &days, &end) || end != n || days < INT32_MIN || days > INT32_MAX) {
          ipc_msg(msg, msglen, "column '%.100s' row %" PRId64 ": '%.40s' is not a date (YYYY-MM-DD)", c->name,
                  w->rows + 1, s);
          return -1;
        }
      }
      int32_t x = (int32_t)days;
      ipc_put(&c->values, &x, 4);
      break;
    }
    case COL_TIMESTAMP: {
      int64_t us = 0;
      if (!null) {
        if (v->type != MCPK_TYPE_TEXT) goto mismatch;
        if (parse_timestamp(s, n, &us)) {
          ipc_msg(msg, msglen, "column '%.100s' row %" PRId64 ": '%.48s' is not an ISO 8601 timestamp with at most "
                  "microseconds (YYYY-MM-DD HH:MM:SS[.ffffff][±HH:MM]); cast it to text in SQL to keep it as written",
                  c->name, w->rows + 1, s);
          return -1;
        }
      }
      ipc_put(&c->values, &us, 8);
      break;
    }
    case COL_BINARY:
    case COL_UTF8: {
      if (!null) {
        if (c->kind == COL_BINARY && v->type != MCPK_TYPE_BYTES) goto mismatch;
        if (c->kind == COL_UTF8) {
          switch (v->type) {
            case MCPK_TYPE_TEXT: break;
            case MCPK_TYPE_BOOL: s = v->v.b ? "true" : "false"; n = strlen(s); break;
            case MCPK_TYPE_INT64: n = (size_t)snprintf(text, sizeof text, "%" PRId64, v->v.i); s = text; break;
            case MCPK_TYPE_DOUBLE: n = (size_t)snprintf(text, sizeof text, "%.17g", v->v.d); s = text; break;
            default: goto mismatch;
          }
        }
        if (c->data.len + n > (size_t)INT32_MAX) {
          ipc_msg(msg, msglen, "column '%.100s' row %" PRId64 ": %zu bytes do not fit one Arrow batch", c->name, w->rows + 1, n);
          return -1;
        }
        ipc_put(&c->data, s, n);
      }
      int32_t end = (int32_t)c->data.len;
      ipc_put(&c->values, &end, 4);
      break;
    }
    case COL_PENDING: break; /* settled above */
  }
  if (c->validity.failed || c->values.failed || c->data.failed) { ipc_msg(msg, msglen, "out of memory"); return -1; }
  return 0;
mismatch:
  ipc_msg(msg, msglen, "column '%.100s' row %" PRId64 " holds a %s value but the column is %s: an Arrow column has one "
          "type (cast it in SQL)", c->name, w->rows + 1, cell_type_name(v->type), arrow_ipc_column_type(w, (size_t)(c - w->cols)));
  return -1;
}

/* ---- record batches --------------------------------------------------- */

static size_t pad8(size_t n) { return (n + 7) / 8 * 8; }

typedef struct { int64_t offset, length; } ipc_buffer_desc;
typedef struct { int64_t length, null_count; } ipc_node;

static int ipc_flush(arrow_ipc_writer *w, char *msg, size_t msglen) {
  if (!w->schema_written) {
    for (size_t i = 0; i < w->ncols; i++)
      if (w->cols[i].kind == COL_PENDING) col_settle(&w->cols[i], MCPK_TYPE_TEXT, w->batch_rows); /* all null so far */
    if (ipc_write_schema(w, msg, msglen)) return -1;
    w->schema_written = 1;
  }
  if (w->batch_rows == 0) return 0;
  size_t nbuf = 0;
  for (size_t i = 0; i < w->ncols; i++) nbuf += (w->cols[i].kind == COL_UTF8 || w->cols[i].kind == COL_BINARY) ? 3 : 2;
  ipc_node *nodes = calloc(w->ncols ? w->ncols : 1, sizeof *nodes);
  ipc_buffer_desc *bufs = calloc(nbuf ? nbuf : 1, sizeof *bufs);
  if (!nodes || !bufs) { free(nodes); free(bufs); ipc_msg(msg, msglen, "out of memory"); return -1; }
  int64_t body = 0;
  size_t k = 0;
  size_t bitmap = ((size_t)w->batch_rows + 7) / 8;
  for (size_t i = 0; i < w->ncols; i++) {
    ipc_col *c = &w->cols[i];
    /* Bitmaps may be shorter than the batch when trailing bits are zero: pad them out. */
    if (c->validity.len < bitmap) ipc_put(&c->validity, NULL, bitmap - c->validity.len);
    if (c->kind == COL_BOOL && c->values.len < bitmap) ipc_put(&c->values, NULL, bitmap - c->values.len);
    nodes[i].length = w->batch_rows;
    nodes[i].null_count = c->nulls;
    ipc_buf *parts[3] = {&c->validity, &c->values, &c->data};
    int count = (c->kind == COL_UTF8 || c->kind == COL_BINARY) ? 3 : 2;
    for (int p = 0; p < count; p++) {
      bufs[k].offset = body;
      bufs[k].length = (int64_t)parts[p]->len;
      body += (int64_t)pad8(parts[p]->len);
      k++;
    }
  }
  ipc_buf *b = &w->meta;
  size_t header = ipc_message_table(b, 3 /* RecordBatch */, body);
  fb_slot rs[3] = {{8, 0, (uint64_t)w->batch_rows}, {4, 1, 0}, {4, 1, 0}};
  size_t rw[3] = {0};
  size_t rb = fb_table(b, rs, 3, rw);
  fb_patch(b, header, rb);
  fb_patch(b, rw[1], fb_struct_vector(b, nodes, (uint32_t)w->ncols, sizeof *nodes));
  fb_patch(b, rw[2], fb_struct_vector(b, bufs, (uint32_t)nbuf, sizeof *bufs));
  free(nodes);
  free(bufs);
  if (ipc_write_message(w, msg, msglen)) return -1;
  static const uint8_t zeros[8] = {0};
  for (size_t i = 0; i < w->ncols; i++) {
    ipc_col *c = &w->cols[i];
    ipc_buf *parts[3] = {&c->validity, &c->values, &c->data};
    int count = (c->kind == COL_UTF8 || c->kind == COL_BINARY) ? 3 : 2;
    for (int p = 0; p < count; p++) {
      if (ipc_write(w, parts[p]->d, parts[p]->len, msg, msglen)) return -1;
      if (ipc_write(w, zeros, pad8(parts[p]->len) - parts[p]->len, msg, msglen)) return -1;
    }
    col_reset(c);
  }
  w->batches++;
  w->batch_rows = 0;
  return 0;
}

/* ---- public ----------------------------------------------------------- */

static void ipc_free(arrow_ipc_writer *w) {
  if (!w) return;
  if (w->f) fclose(w->f);
  for (size_t i = 0; i < w->ncols; i++) {
    free(w->cols[i].name);
    free(w->cols[i].validity.d);
    free(w->cols[i].values.d);
    free(w->cols[i].data.d);
  }
  free(w->cols);
  free(w->meta.d);
  free(w);
}

arrow_ipc_writer *arrow_ipc_open(const char *path, const mcpk_column *cols, size_t count, int64_t max_bytes,
                                 char *msg, size_t msglen) {
  arrow_ipc_writer *w = calloc(1, sizeof *w);
  if (!w) { ipc_msg(msg, msglen, "out of memory"); return NULL; }
  w->max_bytes = max_bytes;
  w->ncols = count;
  w->cols = calloc(count ? count : 1, sizeof *w->cols);
  if (!w->cols) { ipc_free(w); ipc_msg(msg, msglen, "out of memory"); return NULL; }
  for (size_t i = 0; i < count; i++) {
    w->cols[i].name = strdup(cols[i].name ? cols[i].name : "");
    if (!w->cols[i].name) { ipc_free(w); ipc_msg(msg, msglen, "out of memory"); return NULL; }
    w->cols[i].kind = kind_for(&cols[i], &w->cols[i].zoned);
    col_reset(&w->cols[i]);
  }
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) { ipc_msg(msg, msglen, "cannot create %.200s: %s", path, strerror(errno)); ipc_free(w); return NULL; }
  w->f = fdopen(fd, "wb");
  if (!w->f) { close(fd); ipc_msg(msg, msglen, "cannot open %.200s: %s", path, strerror(errno)); ipc_free(w); return NULL; }
  return w;
}

int arrow_ipc_append(arrow_ipc_writer *w, const mcpk_value *cells, size_t count, char *msg, size_t msglen) {
  if (count != w->ncols) {
    ipc_msg(msg, msglen, "row %" PRId64 " has %zu cells for %zu columns", w->rows + 1, count, w->ncols);
    return -1;
  }
  for (size_t i = 0; i < count; i++)
    if (col_append(w, &w->cols[i], &cells[i], msg, msglen)) return -1;
  w->batch_rows++;
  w->rows++;
  size_t held = 0;
  for (size_t i = 0; i < count; i++) held += w->cols[i].values.len + w->cols[i].data.len;
  if (w->batch_rows >= ARROW_IPC_BATCH_ROWS || held >= ARROW_IPC_BATCH_BYTES) return ipc_flush(w, msg, msglen);
  return 0;
}

int arrow_ipc_finish(arrow_ipc_writer *w, char *msg, size_t msglen) {
  static const uint32_t eos[2] = {0xFFFFFFFFu, 0};
  if (!w->f) { ipc_msg(msg, msglen, "the Arrow result is already closed"); return -1; }
  int rc = ipc_flush(w, msg, msglen);
  if (rc == 0) rc = ipc_write(w, eos, sizeof eos, msg, msglen);
  if (rc == 0 && fflush(w->f) != 0) { ipc_msg(msg, msglen, "writing the Arrow result: %s", strerror(errno)); rc = -1; }
  if (fclose(w->f) != 0 && rc == 0) { ipc_msg(msg, msglen, "closing the Arrow result: %s", strerror(errno)); rc = -1; }
  w->f = NULL;
  return rc;
}

void arrow_ipc_free(arrow_ipc_writer *w) { ipc_free(w); }

int64_t arrow_ipc_rows(const arrow_ipc_writer *w) { return w->rows; }
int64_t arrow_ipc_batches(const arrow_ipc_writer *w) { return w->batches; }
int64_t arrow_ipc_bytes(const arrow_ipc_writer *w) { return w->bytes; }
