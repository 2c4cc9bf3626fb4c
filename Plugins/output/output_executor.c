/* Output executor: writes the step's data as a named artifact, in-process
 * (`invoke`).
 *
 * Config: `format` json | csv | text (`txt` accepted), `name` (default
 * "output"; the format's extension is added unless present). Data: the
 * `data` input if present, else all inputs. json: pretty-printed (2-space
 * indent) plus a newline; text: a string as-is, anything else as pretty
 * JSON; csv: an array of objects (header = union of keys in first-seen
 * order) or an array of rows (arrays; a scalar is a one-cell row), RFC 4180
 * quoting (fields with `,` `"` CR or LF are quoted, quotes doubled), LF line
 * ends; a Data step's whole result (`{columns, rows}`) is its rows under a
 * header of its column names. The file is written into the step's work dir and announced with an
 * `artifact {name, path, mime}` event: the host copies it into the run's
 * artifacts (run.artifacts / run.artifact). Result `{name, size, mime}`.
 *
 * Ownership: the file text is built in a malloc'd buffer freed here; the
 * result string is released by the host (mx_string_release). */
#define _POSIX_C_SOURCE 200809L /* strdup, clock_gettime, O_NOFOLLOW, O_CLOEXEC */
#include "mcpk_invoke_support.h"
#include "output_type.h"

#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <unistd.h>

static const char *const types[] = {"Output"};

/* Longest artifact name (KernelEngine ArtifactNames.maxNameLength). */
#define OUT_MAX_NAME 200
/* Longest work dir + "/" + name path. */
#define OUT_MAX_PATH 4096

/* ---- names ------------------------------------------------------------ */

/* A plain file name: [A-Za-z0-9._-], not starting with '.', no '/' or "..". */
static int out_name_valid(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > OUT_MAX_NAME || name[0] == '.' || strstr(name, "..")) return 0;
  for (const char *p = name; *p; p++) {
    char c = *p;
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
      return 0;
  }
  return 1;
}

/* ---- csv -------------------------------------------------------------- */

static void out_csv_cell(mx_buf *b, const json_t *v) {
  if (!v || json_is_null(v)) return;
  char *dumped = NULL;
  const char *s;
  size_t n;
  if (json_is_string(v)) {
    s = json_string_value(v);
    n = json_string_length(v);
  } else {
    dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!dumped) { b->failed = 1; return; }
    s = dumped;
    n = strlen(dumped);
  }
  int quote = 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') { quote = 1; break; }
  if (!quote) mx_put(b, s, n);
  else {
    mx_put(b, "\"", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
      if (s[i] == '"') {
        mx_put(b, s + start, i - start + 1); /* through the quote */
        mx_put(b, "\"", 1);                  /* doubled */
        start = i + 1;
      }
    }
    mx_put(b, s + start, n - start);
    mx_put(b, "\"", 1);
  }
  free(dumped);
}

static mcpk_status out_csv(const json_t *data, mx_buf *b, mcpk_error *err) {
  /* A Data step's result ({columns:[{name…}], rows:[[…]]}): its column names are the header. */
  const json_t *columns = json_is_object(data) ? json_object_get(data, "columns") : NULL;
  const json_t *table_rows = json_is_object(data) ? json_object_get(data, "rows") : NULL;
  if (json_is_array(columns) && json_is_array(table_rows)) {
    size_t j;
    json_t *col;
    json_array_foreach(columns, j, col) {
      const json_t *name = json_is_object(col) ? json_object_get(col, "name") : col;
      if (!json_is_string(name))
        return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "csv output: columns[%zu] has no name", j);
      if (j) mx_put(b, ",", 1);
      out_csv_cell(b, name);
    }
    mx_put(b, "\n", 1);
    data = table_rows;
  }
  if (!json_is_array(data))
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT,
                   "csv output needs an array of rows (objects or arrays) in the 'data' input, got %s",
                   json_is_object(data) ? "an object" : json_is_string(data) ? "a string" : "a scalar");
  size_t i, objects = 0;
  json_t *row;
  json_array_foreach(data, i, row) if (json_is_object(row)) objects++;
  size_t count = json_array_size(data);
  if (objects > 0 && objects < count) {
    json_array_foreach(data, i, row) if (!json_is_object(row)) break;
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT,
                   "csv output: row %zu is not an object while others are; rows must be all objects or all arrays", i);
  }
  if (count > 0 && objects == count) {
    json_t *header = json_object(); /* key -> null, insertion-ordered */
    json_array_foreach(data, i, row) {
      const char *k;
      json_t *v;
      json_object_foreach(row, k, v) if (!json_object_get(header, k)) json_object_set_new(header, k, json_null());
    }
    const char *k;
    json_t *v;
    int first = 1;
    json_object_foreach(header, k, v) {
      if (!first) mx_put(b, ",", 1);
      first = 0;
      json_t *name = json_string(k);
      out_csv_cell(b, name);
      json_decref(name);
    }
    mx_put(b, "\n", 1);
    json_array_foreach(data, i, row) {
      first = 1;
      json_object_foreach(header, k, v) {
        if (!first) mx_put(b, ",", 1);
        first = 0;
        out_csv_cell(b, json_object_get(row, k));
      }
      mx_put(b, "\n", 1);
    }
    json_decref(header);
  } else {
    json_array_foreach(data, i, row) {
      if (json_is_array(row)) {
        size_t j;
        json_t *cell;
        json_array_foreach(row, j, cell) {
          if (j) mx_put(b, ",", 1);
          out_csv_cell(b, cell);
        }
      } else {
        out_csv_cell(b, row);
      }
      mx_put(b, "\n", 1);
    }
  }
  return MCPK_STATUS_OK;
}

/* ---- invoke ----------------------------------------------------------- */

static void out_pretty(mx_buf *b, const json_t *data) {
  char *t = json_dumps(data, JSON_INDENT(2) | JSON_ENCODE_ANY);
  if (!t) { b->failed = 1; return; }
  mx_put(b, t, strlen(t));
  mx_put(b, "\n", 1);
  free(t);
}

static mcpk_status out_write(const char *path, const mx_buf *b, mcpk_error *err) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return mi_fail(err, MCPK_STATUS_IO, "cannot create artifact %s: %s", path, strerror(errno));
  size_t done = 0;
  while (done < b->len) {
    ssize_t w = write(fd, b->data + done, b->len - done);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      int e = errno;
      close(fd);
      unlink(path);
      return mi_fail(err, MCPK_STATUS_IO, "cannot write artifact %s: %s", path, strerror(e));
    }
    done += (size_t)w;
  }
  if (close(fd) != 0) return mi_fail(err, MCPK_STATUS_IO, "cannot write artifact %s: %s", path, strerror(errno));
  return MCPK_STATUS_OK;
}

static mcpk_status out_run(json_t *config, json_t *inputs, const mcpk_step *step, const mcpk_invocation *inv,
                           mcpk_string *out, mcpk_error *err) {
  const char *format = mi_str(config, "format");
  if (!format) format = mi_str(config, "outputFormat");
  if (!format) format = "json";
  const char *base = mi_str(config, "name");
  if (!base) base = mi_str(config, "artifactName");
  if (!base || !*base) base = "output";
  json_t *data = json_object_get(inputs, "data");
  if (!data) data = inputs;

  const char *ext, *mime;
  mx_buf b = {0};
  mx_put(&b, "", 0);
  mcpk_status st = MCPK_STATUS_OK;
  if (strcasecmp(format, "json") == 0) {
    ext = "json"; mime = "application/json";
    out_pretty(&b, data);
  } else if (strcasecmp(format, "text") == 0 || strcasecmp(format, "txt") == 0) {
    ext = "txt"; mime = "text/plain";
    if (json_is_string(data)) mx_put(&b, json_string_value(data), json_string_length(data));
    else out_pretty(&b, data);
  } else if (strcasecmp(format, "csv") == 0) {
    ext = "csv"; mime = "text/csv";
    st = out_csv(data, &b, err);
  } else {
    free(b.data);
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "format: unknown output format '%.100s' (json, csv, text)", format);
  }
  if (st != MCPK_STATUS_OK) { free(b.data); return st; }
  if (b.failed) { free(b.data); return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory building the artifact"); }

  char name[OUT_MAX_NAME + 8];
  size_t bl = strlen(base), el = strlen(ext);
  int has_ext = bl > el + 1 && base[bl - el - 1] == '.' && strcasecmp(base + bl - el, ext) == 0;
  int n = snprintf(name, sizeof name, has_ext ? "%s" : "%s.%s", base, ext);
  if (n < 0 || (size_t)n >= sizeof name || !out_name_valid(name)) {
    free(b.data);
    return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT,
                   "name: invalid artifact name '%.200s' (letters, digits, '.', '-', '_'; no '/', no '..', not starting with '.'; at most %d characters)",
                   base, OUT_MAX_NAME);
  }
  if (!step->work_dir || !*step->work_dir) { free(b.data); return mi_fail(err, MCPK_STATUS_INTERNAL, "the host gave no work dir"); }
  char path[OUT_MAX_PATH];
  n = snprintf(path, sizeof path, "%s/%s", step->work_dir, name);
  if (n < 0 || (size_t)n >= sizeof path) { free(b.data); return mi_fail(err, MCPK_STATUS_INVALID_ARGUMENT, "artifact path too long"); }
  if (mi_cancelled(inv)) { free(b.data); return mi_fail(err, MCPK_STATUS_CANCELLED, "cancelled"); }

  st = out_write(path, &b, err);
  size_t size = b.len;
  free(b.data);
  if (st != MCPK_STATUS_OK) return st;

  json_t *ev = json_pack("{s:s, s:s, s:s}", "name", name, "path", path, "mime", mime);
  if (!ev) return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  st = mi_emit(inv, "artifact", ev);
  json_decref(ev);
  if (st == MCPK_STATUS_CANCELLED) return mi_fail(err, st, "cancelled");
  if (st != MCPK_STATUS_OK) return mi_fail(err, st, "the kernel refused the artifact '%s' (status %d)", name, (int)st);

  json_t *res = json_pack("{s:s, s:I, s:s}", "name", name, "size", (json_int_t)size, "mime", mime);
  if (!res) return mi_fail(err, MCPK_STATUS_NO_MEMORY, "out of memory");
  st = mi_result(res, out, err);
  json_decref(res);
  return st;
}

static mcpk_status out_invoke(void *data, const mcpk_step *step, const mcpk_invocation *inv, mcpk_string *out,
                              mcpk_error *err) {
  (void)data;
  json_t *config, *inputs;
  mcpk_status st = mi_parse_step(step, &config, &inputs, err);
  if (st != MCPK_STATUS_OK) return st;
  st = out_run(config, inputs, step, inv, out, err);
  json_decref(config);
  json_decref(inputs);
  return st;
}

MI_DEFINE_PLUGIN("output", "Output steps in-process: the data as a json, csv or text artifact of the run", types, type_defs, out_invoke)
