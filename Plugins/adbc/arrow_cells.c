/*
 * arrow_cells.c: decoding Arrow C data interface arrays into mcpk cells.
 * See arrow_cells.h; the renderings are documented in docs/PLUGINS.md.
 */
#include "arrow_cells.h"

#include <inttypes.h>
#include <sodium.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Nesting depth of lists/structs/maps the JSON rendering follows. */
#define ARROW_MAX_NESTING 32

/* ---- buffers --------------------------------------------------------------- */

static int buf_reserve(arrow_buf *b, size_t extra) {
  if (b->failed) return -1;
  if (b->len + extra + 1 <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < b->len + extra + 1) cap *= 2;
  char *d = realloc(b->data, cap);
  if (!d) { b->failed = 1; return -1; }
  b->data = d;
  b->cap = cap;
  return 0;
}

void arrow_buf_put(arrow_buf *b, const char *s, size_t n) {
  if (buf_reserve(b, n) != 0) return;
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = 0;
}

void arrow_buf_puts(arrow_buf *b, const char *s) { arrow_buf_put(b, s, strlen(s)); }

static void buf_printf(arrow_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void buf_printf(arrow_buf *b, const char *fmt, ...) {
  char tmp[128];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n > 0) arrow_buf_put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void buf_json_string(arrow_buf *b, const char *s, size_t n) {
  static const char hex[] = "0123456789abcdef";
  arrow_buf_put(b, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    if (ch >= 0x20 && ch != '"' && ch != '\\') continue;
    arrow_buf_put(b, s + start, i - start);
    start = i + 1;
    switch (ch) {
      case '"': arrow_buf_put(b, "\\\"", 2); break;
      case '\\': arrow_buf_put(b, "\\\\", 2); break;
      case '\n': arrow_buf_put(b, "\\n", 2); break;
      case '\r': arrow_buf_put(b, "\\r", 2); break;
      case '\t': arrow_buf_put(b, "\\t", 2); break;
      default: {
        char u[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
        arrow_buf_put(b, u, 6);
      }
    }
  }
  arrow_buf_put(b, s + start, n - start);
  arrow_buf_put(b, "\"", 1);
}

/* Base64 of binary cells: libsodium's encoder (the kernel's Base64 uses the same one). */
static void buf_base64(arrow_buf *b, const unsigned char *s, size_t n) {
  size_t len = sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL); /* with the NUL */
  if (buf_reserve(b, len) != 0) return;
  sodium_bin2base64(b->data + b->len, len, s, n, sodium_base64_VARIANT_ORIGINAL);
  b->len += len - 1;
}

/* ---- formats ----------------------------------------------------------------- */

static int unit_of(char c) {
  switch (c) {
    case 's': return 0;
    case 'm': return 3;
    case 'u': return 6;
    case 'n': return 9;
    default: return -1;
  }
}

arrow_type arrow_parse_format(const char *f) {
  arrow_type t;
  memset(&t, 0, sizeof t);
  t.kind = AK_UNSUPPORTED;
  t.tz = "";
  if (!f || !*f) return t;
  if (f[1] == 0) {
    switch (f[0]) {
      case 'n': t.kind = AK_NULL; break;
      case 'b': t.kind = AK_BOOL; break;
      case 'c': t.kind = AK_INT; t.bits = 8; break;
      case 'C': t.kind = AK_UINT; t.bits = 8; break;
      case 's': t.kind = AK_INT; t.bits = 16; break;
      case 'S': t.kind = AK_UINT; t.bits = 16; break;
      case 'i': t.kind = AK_INT; t.bits = 32; break;
      case 'I': t.kind = AK_UINT; t.bits = 32; break;
      case 'l': t.kind = AK_INT; t.bits = 64; break;
      case 'L': t.kind = AK_UINT; t.bits = 64; break;
      case 'e': t.kind = AK_HALF; break;
      case 'f': t.kind = AK_FLOAT; break;
      case 'g': t.kind = AK_DOUBLE; break;
      case 'u': t.kind = AK_UTF8; break;
      case 'U': t.kind = AK_LARGE_UTF8; break;
      case 'z': t.kind = AK_BINARY; break;
      case 'Z': t.kind = AK_LARGE_BINARY; break;
      default: break;
    }
    return t;
  }
  if (strcmp(f, "vu") == 0) { t.kind = AK_UTF8_VIEW; return t; }
  if (strcmp(f, "vz") == 0) { t.kind = AK_BINARY_VIEW; return t; }
  if (strncmp(f, "w:", 2) == 0) { t.kind = AK_FIXED_BINARY; t.fixed = atoi(f + 2); return t; }
  if (strncmp(f, "d:", 2) == 0) {
    int p = 0, s = 0, bits = 128;
    int n = sscanf(f + 2, "%d,%d,%d", &p, &s, &bits);
    if (n >= 2 && (bits == 32 || bits == 64 || bits == 128 || bits == 256)) {
      t.kind = AK_DECIMAL; t.precision = p; t.scale = s; t.bits = bits;
    }
    return t;
  }
  if (strcmp(f, "tdD") == 0) { t.kind = AK_DATE32; return t; }
  if (strcmp(f, "tdm") == 0) { t.kind = AK_DATE64; return t; }
  if (f[0] == 't' && f[1] == 't' && f[2] && !f[3]) {
    t.unit = unit_of(f[2]);
    if (t.unit >= 0) t.kind = t.unit <= 3 ? AK_TIME32 : AK_TIME64;
    return t;
  }
  if (f[0] == 't' && f[1] == 's' && f[2] && f[3] == ':') {
    t.unit = unit_of(f[2]);
    if (t.unit >= 0) { t.kind = AK_TIMESTAMP; t.tz = f + 4; }
    return t;
  }
  if (f[0] == 't' && f[1] == 'D' && f[2] && !f[3]) {
    t.unit = unit_of(f[2]);
    if (t.unit >= 0) t.kind = AK_DURATION;
    return t;
  }
  if (strcmp(f, "tiM") == 0) { t.kind = AK_INTERVAL_MONTHS; return t; }
  if (strcmp(f, "tiD") == 0) { t.kind = AK_INTERVAL_DAY_TIME; return t; }
  if (strcmp(f, "tin") == 0) { t.kind = AK_INTERVAL_MDN; return t; }
  if (strcmp(f, "+l") == 0) { t.kind = AK_LIST; return t; }
  if (strcmp(f, "+L") == 0) { t.kind = AK_LARGE_LIST; return t; }
  if (strncmp(f, "+w:", 3) == 0) { t.kind = AK_FIXED_LIST; t.fixed = atoi(f + 3); return t; }
  if (strcmp(f, "+s") == 0) { t.kind = AK_STRUCT; return t; }
  if (strcmp(f, "+m") == 0) { t.kind = AK_MAP; return t; }
  return t;
}

/* The schema whose values an array holds: the dictionary's for a dictionary-encoded one. */
static int type_supported(const struct ArrowSchema *s, int depth, char *msg, size_t msglen) {
  if (depth > ARROW_MAX_NESTING) {
    snprintf(msg, msglen, "nested deeper than %d levels (ARROW_MAX_NESTING)", ARROW_MAX_NESTING);
    return -1;
  }
  arrow_type t = arrow_parse_format(s->format);
  if (s->dictionary) {
    if (t.kind != AK_INT && t.kind != AK_UINT) {
      snprintf(msg, msglen, "dictionary index type '%s' is not an integer", s->format ? s->format : "");
      return -1;
    }
    return type_supported(s->dictionary, depth + 1, msg, msglen);
  }
  if (t.kind == AK_UNSUPPORTED) {
    snprintf(msg, msglen, "Arrow type '%s' is not supported by the ADBC bridge", s->format ? s->format : "(null)");
    return -1;
  }
  if ((t.kind == AK_LIST || t.kind == AK_LARGE_LIST || t.kind == AK_FIXED_LIST || t.kind == AK_MAP) && s->n_children != 1) {
    snprintf(msg, msglen, "Arrow list type '%s' has %" PRId64 " children, not 1", s->format, s->n_children);
    return -1;
  }
  for (int64_t i = 0; i < s->n_children; i++)
    if (type_supported(s->children[i], depth + 1, msg, msglen) != 0) return -1;
  return 0;
}

static void describe_type(const struct ArrowSchema *s, arrow_buf *b, int depth) {
  if (depth > ARROW_MAX_NESTING) { arrow_buf_puts(b, "..."); return; }
  if (s->dictionary) {
    arrow_buf_puts(b, "dictionary<");
    describe_type(s->dictionary, b, depth + 1);
    arrow_buf_puts(b, ">");
    return;
  }
  arrow_type t = arrow_parse_format(s->format);
  static const char *units[] = {"s", "", "", "ms", "", "", "us", "", "", "ns"};
  switch (t.kind) {
    case AK_NULL: arrow_buf_puts(b, "null"); break;
    case AK_BOOL: arrow_buf_puts(b, "bool"); break;
    case AK_INT: buf_printf(b, "int%d", t.bits); break;
    case AK_UINT: buf_printf(b, "uint%d", t.bits); break;
    case AK_HALF: arrow_buf_puts(b, "float16"); break;
    case AK_FLOAT: arrow_buf_puts(b, "float32"); break;
    case AK_DOUBLE: arrow_buf_puts(b, "float64"); break;
    case AK_UTF8: arrow_buf_puts(b, "utf8"); break;
    case AK_LARGE_UTF8: arrow_buf_puts(b, "large_utf8"); break;
    case AK_UTF8_VIEW: arrow_buf_puts(b, "utf8_view"); break;
    case AK_BINARY: arrow_buf_puts(b, "binary"); break;
    case AK_LARGE_BINARY: arrow_buf_puts(b, "large_binary"); break;
    case AK_BINARY_VIEW: arrow_buf_puts(b, "binary_view"); break;
    case AK_FIXED_BINARY: buf_printf(b, "fixed_size_binary[%d]", t.fixed); break;
    case AK_DATE32: arrow_buf_puts(b, "date32"); break;
    case AK_DATE64: arrow_buf_puts(b, "date64"); break;
    case AK_TIME32: buf_printf(b, "time32[%s]", units[t.unit]); break;
    case AK_TIME64: buf_printf(b, "time64[%s]", units[t.unit]); break;
    case AK_TIMESTAMP:
      if (*t.tz) buf_printf(b, "timestamp[%s, %.64s]", units[t.unit], t.tz);
      else buf_printf(b, "timestamp[%s]", units[t.unit]);
      break;
    case AK_DURATION: buf_printf(b, "duration[%s]", units[t.unit]); break;
    case AK_INTERVAL_MONTHS: arrow_buf_puts(b, "interval[months]"); break;
    case AK_INTERVAL_DAY_TIME: arrow_buf_puts(b, "interval[day_time]"); break;
    case AK_INTERVAL_MDN: arrow_buf_puts(b, "interval[month_day_nano]"); break;
    case AK_DECIMAL: buf_printf(b, "decimal%d(%d, %d)", t.bits, t.precision, t.scale); break;
    case AK_LIST: case AK_LARGE_LIST: case AK_FIXED_LIST:
      if (t.kind == AK_FIXED_LIST) buf_printf(b, "fixed_size_list[%d]<", t.fixed);
      else arrow_buf_puts(b, t.kind == AK_LIST ? "list<" : "large_list<");
      if (s->n_children == 1) describe_type(s->children[0], b, depth + 1);
      arrow_buf_puts(b, ">");
      break;
    case AK_STRUCT: case AK_MAP:
      arrow_buf_puts(b, t.kind == AK_STRUCT ? "struct<" : "map<");
      for (int64_t i = 0; i < s->n_children; i++) {
        if (i) arrow_buf_puts(b, ", ");
        if (t.kind == AK_STRUCT && s->children[i]->name) { arrow_buf_puts(b, s->children[i]->name); arrow_buf_puts(b, ": "); }
        describe_type(s->children[i], b, depth + 1);
      }
      arrow_buf_puts(b, ">");
      break;
    default: arrow_buf_puts(b, s->format ? s->format : "?"); break;
  }
}

/* Which metadata entry a lookup wants: `key` exactly, or (key NULL) a driver's type name
 * shorter than `value_limit`. */
typedef struct {
  const char *key;
  size_t key_len;
  size_t value_limit;
} metadata_query;

static int metadata_matches(const metadata_query *q, const char *k, int32_t kl, int32_t vl) {
  if (q->key) return (size_t)kl == q->key_len && memcmp(k, q->key, q->key_len) == 0;
  return kl >= 8 && strncmp(k, "ADBC:", 5) == 0 && memcmp(k + kl - 8, ":typname", 8) == 0 && vl > 0 &&
         (size_t)vl < q->value_limit;
}

/* The value of the first entry of `metadata` (the C data interface's encoding: int32
 * count, then int32-length-prefixed key and value of each entry) that `q` matches. */
static const char *metadata_find(const char *metadata, const metadata_query *q, int32_t *len) {
  if (!metadata) return NULL;
  const char *p = metadata;
  int32_t n;
  memcpy(&n, p, 4);
  p += 4;
  for (int32_t i = 0; i < n; i++) {
    int32_t kl, vl;
    memcpy(&kl, p, 4); p += 4;
    const char *k = p; p += kl;
    memcpy(&vl, p, 4); p += 4;
    const char *v = p; p += vl;
    if (metadata_matches(q, k, kl, vl)) { *len = vl; return v; }
  }
  return NULL;
}

const char *arrow_metadata_value(const char *metadata, const char *key, int32_t *len) {
  metadata_query q = {key, strlen(key), 0};
  int32_t n = 0;
  const char *v = metadata_find(metadata, &q, &n);
  if (v && len) *len = n;
  return v;
}

/* A driver's own type name from the field metadata ("ADBC:postgresql:typname"
 * and the like), copied into `out`; 0 when none fits. */
static int driver_type_name(const char *metadata, char *out, size_t outlen) {
  metadata_query q = {NULL, 0, outlen};
  int32_t vl = 0;
  const char *v = metadata_find(metadata, &q, &vl);
  if (!v) return 0;
  memcpy(out, v, (size_t)vl);
  out[vl] = 0;
  return 1;
}

int arrow_column_init(arrow_column *c, const struct ArrowSchema *schema, char *msg, size_t msglen) {
  memset(c, 0, sizeof *c);
  c->schema = schema;
  if (type_supported(schema, 0, msg, msglen) != 0) return -1;
  const struct ArrowSchema *values = schema->dictionary ? schema->dictionary : schema;
  c->type = arrow_parse_format(values->format);
  switch (c->type.kind) {
    case AK_NULL: c->mcpk_type = MCPK_TYPE_TEXT; break;
    case AK_BOOL: c->mcpk_type = MCPK_TYPE_BOOL; break;
    case AK_INT: case AK_UINT: case AK_DURATION: c->mcpk_type = MCPK_TYPE_INT64; break;
    case AK_HALF: case AK_FLOAT: case AK_DOUBLE: c->mcpk_type = MCPK_TYPE_DOUBLE; break;
    case AK_BINARY: case AK_LARGE_BINARY: case AK_BINARY_VIEW: case AK_FIXED_BINARY: c->mcpk_type = MCPK_TYPE_BYTES; break;
    default: c->mcpk_type = MCPK_TYPE_TEXT; break;
  }
  if (!driver_type_name(schema->metadata, c->type_name, sizeof c->type_name)) {
    arrow_buf b = {0};
    describe_type(schema, &b, 0);
    snprintf(c->type_name, sizeof c->type_name, "%s", b.data ? b.data : "?");
    free(b.data);
  }
  return 0;
}

void arrow_column_free(arrow_column *c) {
  free(c->text.data);
  memset(&c->text, 0, sizeof c->text);
}

/* ---- values ------------------------------------------------------------------ */

static int is_null(const struct ArrowArray *a, int64_t p) {
  if (a->n_buffers < 1 || !a->buffers[0] || a->null_count == 0) return 0;
  const uint8_t *bits = a->buffers[0];
  return !(bits[p >> 3] & (1u << (p & 7)));
}

static int64_t int_at(const struct ArrowArray *a, int bits, int64_t p) {
  const void *d = a->buffers[1];
  switch (bits) {
    case 8: return ((const int8_t *)d)[p];
    case 16: return ((const int16_t *)d)[p];
    case 32: return ((const int32_t *)d)[p];
    default: return ((const int64_t *)d)[p];
  }
}

/* The same bits as int_at, read as unsigned (two's complement: masking the sign extension). */
static uint64_t uint_at(const struct ArrowArray *a, int bits, int64_t p) {
  uint64_t v = (uint64_t)int_at(a, bits, p);
  return bits == 8 || bits == 16 || bits == 32 ? v & ((UINT64_C(1) << bits) - 1) : v;
}

static double half_to_double(uint16_t h) {
  int sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0) v = ldexp(mant, -24);
  else if (exp == 31) v = mant ? NAN : INFINITY;
  else v = ldexp(mant + 1024, exp - 25);
  return sign ? -v : v;
}

/* Bytes of a string/binary value; 0 on success. */
static int bytes_at(const arrow_type *t, const struct ArrowArray *a, int64_t p, const char **data, size_t *len) {
  switch (t->kind) {
    case AK_UTF8: case AK_BINARY: {
      const int32_t *off = a->buffers[1];
      *data = (const char *)a->buffers[2] + off[p];
      *len = (size_t)(off[p + 1] - off[p]);
      return 0;
    }
    case AK_LARGE_UTF8: case AK_LARGE_BINARY: {
      const int64_t *off = a->buffers[1];
      *data = (const char *)a->buffers[2] + off[p];
      *len = (size_t)(off[p + 1] - off[p]);
      return 0;
    }
    case AK_UTF8_VIEW: case AK_BINARY_VIEW: {
      const uint8_t *view = (const uint8_t *)a->buffers[1] + 16 * p;
      int32_t n, idx, off;
      memcpy(&n, view, 4);
      if (n <= 12) { *data = (const char *)view + 4; *len = (size_t)n; return 0; }
      memcpy(&idx, view + 8, 4);
      memcpy(&off, view + 12, 4);
      if (idx < 0 || 2 + idx >= a->n_buffers - 1) return -1;
      *data = (const char *)a->buffers[2 + idx] + off;
      *len = (size_t)n;
      return 0;
    }
    case AK_FIXED_BINARY:
      *data = (const char *)a->buffers[1] + (int64_t)t->fixed * p;
      *len = (size_t)t->fixed;
      return 0;
    default: return -1;
  }
}

/* Days since 1970-01-01 → civil date (proleptic Gregorian). */
static void civil(int64_t z, int64_t *y, int *m, int *d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  *d = (int)(doy - (153 * mp + 2) / 5 + 1);
  *m = (int)(mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b) { int64_t q = a / b; return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q; }

static int64_t pow10i(int n) { int64_t v = 1; while (n-- > 0) v *= 10; return v; }

static void put_date(arrow_buf *b, int64_t days) {
  int64_t y; int m, d;
  civil(days, &y, &m, &d);
  buf_printf(b, "%04" PRId64 "-%02d-%02d", y, m, d);
}

/* Fraction digits of `frac` (0 <= frac < 10^unit), trailing zeros dropped. */
static void put_fraction(arrow_buf *b, int64_t frac, int unit) {
  if (unit == 0 || frac == 0) return;
  char digits[16];
  snprintf(digits, sizeof digits, "%0*" PRId64, unit, frac);
  int n = unit;
  while (n > 0 && digits[n - 1] == '0') n--;
  arrow_buf_put(b, ".", 1);
  arrow_buf_put(b, digits, (size_t)n);
}

static void put_time_of_day(arrow_buf *b, int64_t v, int unit) {
  int64_t per = pow10i(unit);
  int64_t secs = floor_div(v, per), frac = v - secs * per;
  buf_printf(b, "%02d:%02d:%02d", (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60));
  put_fraction(b, frac, unit);
}

static void put_timestamp(arrow_buf *b, int64_t v, int unit, const char *tz) {
  int64_t per = pow10i(unit);
  int64_t secs = floor_div(v, per), frac = v - secs * per;
  int64_t days = floor_div(secs, 86400), sod = secs - days * 86400;
  put_date(b, days);
  arrow_buf_put(b, "T", 1);
  put_time_of_day(b, sod * per + frac, unit);
  if (tz && *tz) arrow_buf_put(b, "Z", 1);
}

/* ISO 8601 duration of months, days and nanoseconds (each signed). */
static void put_interval(arrow_buf *b, int64_t months, int64_t days, int64_t nanos) {
  if (months == 0 && days == 0 && nanos == 0) { arrow_buf_puts(b, "PT0S"); return; }
  arrow_buf_put(b, "P", 1);
  if (months / 12) buf_printf(b, "%" PRId64 "Y", months / 12);
  if (months % 12) buf_printf(b, "%" PRId64 "M", months % 12);
  if (days) buf_printf(b, "%" PRId64 "D", days);
  if (nanos) {
    arrow_buf_put(b, "T", 1);
    uint64_t mag = nanos < 0 ? (uint64_t)0 - (uint64_t)nanos : (uint64_t)nanos;
    const char *sign = nanos < 0 ? "-" : "";
    uint64_t secs = mag / 1000000000u, frac = mag % 1000000000u;
    if (secs / 3600) buf_printf(b, "%s%" PRIu64 "H", sign, secs / 3600);
    if (secs / 60 % 60) buf_printf(b, "%s%" PRIu64 "M", sign, secs / 60 % 60);
    if (secs % 60 || frac) {
      buf_printf(b, "%s%" PRIu64, sign, secs % 60);
      put_fraction(b, (int64_t)frac, 9);
      arrow_buf_put(b, "S", 1);
    }
  }
}

/* A little-endian two's-complement integer of `bits` bits as an exact decimal with `scale`. */
static void put_decimal(arrow_buf *b, const uint8_t *raw, int bits, int scale) {
  uint32_t limbs[8] = {0};
  int n = bits / 32;
  memcpy(limbs, raw, (size_t)bits / 8);
  int negative = (limbs[n - 1] >> 31) & 1;
  if (negative) { /* negate: invert and add one */
    uint64_t carry = 1;
    for (int i = 0; i < n; i++) {
      uint64_t v = (uint64_t)(uint32_t)~limbs[i] + carry;
      limbs[i] = (uint32_t)v;
      carry = v >> 32;
    }
  }
  char digits[90];
  int nd = 0;
  for (;;) {
    int zero = 1;
    for (int i = 0; i < n; i++) if (limbs[i]) { zero = 0; break; }
    if (zero) break;
    uint64_t rem = 0;
    for (int i = n - 1; i >= 0; i--) {
      uint64_t cur = (rem << 32) | limbs[i];
      limbs[i] = (uint32_t)(cur / 1000000000u);
      rem = cur % 1000000000u;
    }
    for (int k = 0; k < 9 && nd < (int)sizeof digits; k++) { digits[nd++] = (char)('0' + rem % 10); rem /= 10; }
  }
  while (nd > 1 && digits[nd - 1] == '0') nd--;
  if (nd == 0) digits[nd++] = '0';
  /* digits are least significant first */
  if (negative && !(nd == 1 && digits[0] == '0')) arrow_buf_put(b, "-", 1);
  if (scale <= 0) {
    for (int i = nd - 1; i >= 0; i--) arrow_buf_put(b, &digits[i], 1);
    for (int i = 0; i < -scale; i++) arrow_buf_put(b, "0", 1);
    return;
  }
  if (nd <= scale) {
    arrow_buf_put(b, "0.", 2);
    for (int i = 0; i < scale - nd; i++) arrow_buf_put(b, "0", 1);
    for (int i = nd - 1; i >= 0; i--) arrow_buf_put(b, &digits[i], 1);
    return;
  }
  for (int i = nd - 1; i >= 0; i--) {
    arrow_buf_put(b, &digits[i], 1);
    if (i == scale) arrow_buf_put(b, ".", 1);
  }
}

/* The text rendering of a temporal or decimal value at physical index p. */
static int put_text_value(const arrow_type *t, const struct ArrowArray *a, int64_t p, arrow_buf *b) {
  switch (t->kind) {
    case AK_DATE32: put_date(b, ((const int32_t *)a->buffers[1])[p]); return 0;
    case AK_DATE64: put_date(b, floor_div(((const int64_t *)a->buffers[1])[p], 86400000)); return 0;
    case AK_TIME32: put_time_of_day(b, ((const int32_t *)a->buffers[1])[p], t->unit); return 0;
    case AK_TIME64: put_time_of_day(b, ((const int64_t *)a->buffers[1])[p], t->unit); return 0;
    case AK_TIMESTAMP: put_timestamp(b, ((const int64_t *)a->buffers[1])[p], t->unit, t->tz); return 0;
    case AK_INTERVAL_MONTHS: put_interval(b, ((const int32_t *)a->buffers[1])[p], 0, 0); return 0;
    case AK_INTERVAL_DAY_TIME: {
      const int32_t *v = (const int32_t *)a->buffers[1] + 2 * p;
      put_interval(b, 0, v[0], (int64_t)v[1] * 1000000);
      return 0;
    }
    case AK_INTERVAL_MDN: {
      const uint8_t *v = (const uint8_t *)a->buffers[1] + 16 * p;
      int32_t months, days;
      int64_t nanos;
      memcpy(&months, v, 4); memcpy(&days, v + 4, 4); memcpy(&nanos, v + 8, 8);
      put_interval(b, months, days, nanos);
      return 0;
    }
    case AK_DECIMAL:
      put_decimal(b, (const uint8_t *)a->buffers[1] + (int64_t)(t->bits / 8) * p, t->bits, t->scale);
      return 0;
    default: return -1;
  }
}

static int render(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row, arrow_buf *b, int depth);

static int render_list(const struct ArrowSchema *s, const arrow_type *t, const struct ArrowArray *a, int64_t p,
                       arrow_buf *b, int depth) {
  int64_t start, end;
  if (t->kind == AK_LIST || t->kind == AK_MAP) {
    const int32_t *off = a->buffers[1];
    start = off[p]; end = off[p + 1];
  } else if (t->kind == AK_LARGE_LIST) {
    const int64_t *off = a->buffers[1];
    start = off[p]; end = off[p + 1];
  } else {
    start = p * t->fixed; end = start + t->fixed;
  }
  const struct ArrowSchema *cs = s->children[0];
  const struct ArrowArray *ca = a->children[0];
  if (t->kind == AK_MAP) {
    /* map<k, v> is a list of struct<key, value>: an object when keys are strings, else [[k, v], …] */
    const struct ArrowSchema *ks = cs->n_children == 2 ? cs->children[0] : NULL;
    arrow_type kt = ks ? arrow_parse_format(ks->format) : (arrow_type){0};
    int object = ks && !ks->dictionary && (kt.kind == AK_UTF8 || kt.kind == AK_LARGE_UTF8 || kt.kind == AK_UTF8_VIEW);
    arrow_buf_put(b, object ? "{" : "[", 1);
    for (int64_t i = start; i < end; i++) {
      if (i > start) arrow_buf_put(b, ",", 1);
      int64_t ci = ca->offset + i;
      if (!object) arrow_buf_put(b, "[", 1);
      if (render(cs->children[0], ca->children[0], ci, b, depth + 1) != 0) return -1;
      arrow_buf_put(b, object ? ":" : ",", 1);
      if (render(cs->children[1], ca->children[1], ci, b, depth + 1) != 0) return -1;
      if (!object) arrow_buf_put(b, "]", 1);
    }
    arrow_buf_put(b, object ? "}" : "]", 1);
    return 0;
  }
  arrow_buf_put(b, "[", 1);
  for (int64_t i = start; i < end; i++) {
    if (i > start) arrow_buf_put(b, ",", 1);
    if (render(cs, ca, i, b, depth + 1) != 0) return -1;
  }
  arrow_buf_put(b, "]", 1);
  return 0;
}

/* JSON of the value at logical row `row` of `a` (its offset applied here). */
static int render(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row, arrow_buf *b, int depth) {
  if (depth > ARROW_MAX_NESTING) return -1;
  int64_t p = a->offset + row;
  arrow_type t = arrow_parse_format(s->format);
  if (t.kind == AK_NULL || is_null(a, p)) { arrow_buf_puts(b, "null"); return 0; }
  if (s->dictionary) {
    if (!a->dictionary) return -1;
    int64_t idx = t.kind == AK_UINT ? (int64_t)uint_at(a, t.bits, p) : int_at(a, t.bits, p);
    return render(s->dictionary, a->dictionary, idx, b, depth + 1);
  }
  switch (t.kind) {
    case AK_BOOL: {
      const uint8_t *bits = a->buffers[1];
      arrow_buf_puts(b, (bits[p >> 3] & (1u << (p & 7))) ? "true" : "false");
      return 0;
    }
    case AK_INT: case AK_DURATION: buf_printf(b, "%" PRId64, int_at(a, t.kind == AK_DURATION ? 64 : t.bits, p)); return 0;
    case AK_UINT: buf_printf(b, "%" PRIu64, uint_at(a, t.bits, p)); return 0;
    case AK_HALF: case AK_FLOAT: case AK_DOUBLE: {
      double v = t.kind == AK_DOUBLE ? ((const double *)a->buffers[1])[p]
               : t.kind == AK_FLOAT ? (double)((const float *)a->buffers[1])[p]
               : half_to_double(((const uint16_t *)a->buffers[1])[p]);
      if (isfinite(v)) buf_printf(b, "%.17g", v);
      else arrow_buf_puts(b, isnan(v) ? "\"NaN\"" : (v > 0 ? "\"Infinity\"" : "\"-Infinity\""));
      return 0;
    }
    case AK_UTF8: case AK_LARGE_UTF8: case AK_UTF8_VIEW: {
      const char *d; size_t n;
      if (bytes_at(&t, a, p, &d, &n) != 0) return -1;
      buf_json_string(b, d, n);
      return 0;
    }
    case AK_BINARY: case AK_LARGE_BINARY: case AK_BINARY_VIEW: case AK_FIXED_BINARY: {
      const char *d; size_t n;
      if (bytes_at(&t, a, p, &d, &n) != 0) return -1;
      arrow_buf_put(b, "\"", 1);
      buf_base64(b, (const unsigned char *)d, n);
      arrow_buf_put(b, "\"", 1);
      return 0;
    }
    case AK_LIST: case AK_LARGE_LIST: case AK_FIXED_LIST: case AK_MAP: return render_list(s, &t, a, p, b, depth);
    case AK_STRUCT:
      arrow_buf_put(b, "{", 1);
      for (int64_t i = 0; i < s->n_children; i++) {
        if (i) arrow_buf_put(b, ",", 1);
        const char *name = s->children[i]->name ? s->children[i]->name : "";
        buf_json_string(b, name, strlen(name));
        arrow_buf_put(b, ":", 1);
        if (render(s->children[i], a->children[i], p, b, depth + 1) != 0) return -1;
      }
      arrow_buf_put(b, "}", 1);
      return 0;
    default: {
      arrow_buf_put(b, "\"", 1);
      if (put_text_value(&t, a, p, b) != 0) return -1;
      arrow_buf_put(b, "\"", 1);
      return 0;
    }
  }
}

int arrow_render_json(const struct ArrowSchema *schema, const struct ArrowArray *array, int64_t row, arrow_buf *b) {
  return render(schema, array, row, b, 0);
}

int arrow_cell(arrow_column *c, const struct ArrowArray *array, int64_t row, mcpk_value *out, char *msg, size_t msglen) {
  const struct ArrowSchema *s = c->schema;
  const struct ArrowArray *a = array;
  int64_t p = a->offset + row;
  memset(out, 0, sizeof *out);
  out->type = MCPK_TYPE_NULL;
  if (is_null(a, p)) return 0;
  if (s->dictionary) {
    arrow_type it = arrow_parse_format(s->format);
    if (!a->dictionary) { snprintf(msg, msglen, "dictionary-encoded column without a dictionary"); return -1; }
    int64_t idx = it.kind == AK_UINT ? (int64_t)uint_at(a, it.bits, p) : int_at(a, it.bits, p);
    s = s->dictionary;
    a = a->dictionary;
    p = a->offset + idx;
    if (is_null(a, p)) return 0;
  }
  const arrow_type *t = &c->type;
  c->text.len = 0;
  c->text.failed = 0;
  switch (t->kind) {
    case AK_NULL: return 0;
    case AK_BOOL: {
      const uint8_t *bits = a->buffers[1];
      out->type = MCPK_TYPE_BOOL;
      out->v.b = (bits[p >> 3] & (1u << (p & 7))) ? 1 : 0;
      return 0;
    }
    case AK_INT: out->type = MCPK_TYPE_INT64; out->v.i = int_at(a, t->bits, p); return 0;
    case AK_DURATION: out->type = MCPK_TYPE_INT64; out->v.i = int_at(a, 64, p); return 0;
    case AK_UINT: {
      uint64_t v = uint_at(a, t->bits, p);
      if (v <= (uint64_t)INT64_MAX) { out->type = MCPK_TYPE_INT64; out->v.i = (int64_t)v; return 0; }
      buf_printf(&c->text, "%" PRIu64, v); /* beyond int64: exact decimal text */
      break;
    }
    case AK_HALF: out->type = MCPK_TYPE_DOUBLE; out->v.d = half_to_double(((const uint16_t *)a->buffers[1])[p]); return 0;
    case AK_FLOAT: out->type = MCPK_TYPE_DOUBLE; out->v.d = ((const float *)a->buffers[1])[p]; return 0;
    case AK_DOUBLE: out->type = MCPK_TYPE_DOUBLE; out->v.d = ((const double *)a->buffers[1])[p]; return 0;
    case AK_UTF8: case AK_LARGE_UTF8: case AK_UTF8_VIEW:
    case AK_BINARY: case AK_LARGE_BINARY: case AK_BINARY_VIEW: case AK_FIXED_BINARY: {
      const char *d; size_t n;
      if (bytes_at(t, a, p, &d, &n) != 0) { snprintf(msg, msglen, "malformed Arrow string/binary array"); return -1; }
      out->type = c->mcpk_type == MCPK_TYPE_BYTES ? MCPK_TYPE_BYTES : MCPK_TYPE_TEXT;
      out->v.s.data = d;
      out->v.s.length = n;
      return 0;
    }
    case AK_LIST: case AK_LARGE_LIST: case AK_FIXED_LIST: case AK_MAP: case AK_STRUCT:
      if (render(s, a, p - a->offset, &c->text, 0) != 0) { snprintf(msg, msglen, "cannot render nested Arrow value"); return -1; }
      break;
    default:
      if (put_text_value(t, a, p, &c->text) != 0) { snprintf(msg, msglen, "cannot render Arrow value"); return -1; }
      break;
  }
  if (c->text.failed) { snprintf(msg, msglen, "out of memory rendering a cell"); return -1; }
  out->type = MCPK_TYPE_TEXT;
  out->v.s.data = c->text.data ? c->text.data : "";
  out->v.s.length = c->text.len;
  return 0;
}

/* ---- accessors ----------------------------------------------------------------- */

int arrow_child_index(const struct ArrowSchema *schema, const char *name) {
  for (int64_t i = 0; i < schema->n_children; i++)
    if (schema->children[i]->name && strcmp(schema->children[i]->name, name) == 0) return (int)i;
  return -1;
}

int arrow_get_string(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row, const char **data, size_t *len) {
  int64_t p = a->offset + row;
  if (is_null(a, p)) return 1;
  arrow_type t = arrow_parse_format(s->format);
  if (s->dictionary) {
    if (!a->dictionary) return -1;
    int64_t idx = t.kind == AK_UINT ? (int64_t)uint_at(a, t.bits, p) : int_at(a, t.bits, p);
    return arrow_get_string(s->dictionary, a->dictionary, idx, data, len);
  }
  if (t.kind == AK_NULL) return 1;
  return bytes_at(&t, a, p, data, len) == 0 ? 0 : -1;
}

int arrow_get_int(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row, int64_t *value) {
  int64_t p = a->offset + row;
  if (is_null(a, p)) return 1;
  arrow_type t = arrow_parse_format(s->format);
  switch (t.kind) {
    case AK_NULL: return 1;
    case AK_INT: *value = int_at(a, t.bits, p); return 0;
    case AK_UINT: *value = (int64_t)uint_at(a, t.bits, p); return 0;
    case AK_BOOL: {
      const uint8_t *bits = a->buffers[1];
      *value = (bits[p >> 3] & (1u << (p & 7))) ? 1 : 0;
      return 0;
    }
    default: return -1;
  }
}

int arrow_list_range(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row, int64_t *start, int64_t *end) {
  int64_t p = a->offset + row;
  if (is_null(a, p)) return 1;
  arrow_type t = arrow_parse_format(s->format);
  switch (t.kind) {
    case AK_LIST: case AK_MAP: { const int32_t *o = a->buffers[1]; *start = o[p]; *end = o[p + 1]; return 0; }
    case AK_LARGE_LIST: { const int64_t *o = a->buffers[1]; *start = o[p]; *end = o[p + 1]; return 0; }
    case AK_FIXED_LIST: *start = p * t.fixed; *end = *start + t.fixed; return 0;
    default: return -1;
  }
}
