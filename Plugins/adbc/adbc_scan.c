/*
 * adbc_scan.c: mcpk_connector.scan through AdbcConnectionGetObjects.
 *
 * The GetObjects result (catalog → db_schemas → tables → columns and
 * constraints, nested Arrow lists of structs) becomes the scan JSON of
 * include/mcpk/plugin.h. A schema is named after its db_schema, or after its
 * catalog when the driver has no schema level (SQLite: catalog "main", schema
 * null). System schemas (information_schema, pg_*) are left out unless asked
 * for by name. CHECK constraints are not part of the scan contract and are
 * left out; a column's nullability is null when the driver does not say.
 */
#define _GNU_SOURCE
#include "adbc_bridge.h"
#include "arrow_cells.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Column positions of one GetObjects level, looked up by name once per stream. */
typedef struct scan_ctx {
  const struct AdbcDriver *d;
  int version;
  struct AdbcConnection *conn;
  const mcpk_scan_args *args;
  json_t *schemas; /* name → schema object */
  int table_seen;
} scan_ctx;

static int is_system_schema(const char *name) {
  return strcasecmp(name, "information_schema") == 0 || strcmp(name, "pg_catalog") == 0 || strcmp(name, "pg_toast") == 0 ||
         strncmp(name, "pg_temp_", 8) == 0 || strncmp(name, "pg_toast_temp_", 14) == 0;
}

/* A copy of the string at `row` of child `name` of struct (schema, array), or NULL. */
static char *child_string(const struct ArrowSchema *s, const struct ArrowArray *a, const char *name, int64_t row) {
  int i = arrow_child_index(s, name);
  if (i < 0) return NULL;
  const char *d;
  size_t n;
  if (arrow_get_string(s->children[i], a->children[i], arrow_physical(a, row), &d, &n) != 0) return NULL;
  char *out = malloc(n + 1);
  if (!out) return NULL;
  memcpy(out, d, n);
  out[n] = 0;
  return out;
}

static int child_int(const struct ArrowSchema *s, const struct ArrowArray *a, const char *name, int64_t row, int64_t *v) {
  int i = arrow_child_index(s, name);
  if (i < 0) return -1;
  return arrow_get_int(s->children[i], a->children[i], arrow_physical(a, row), v);
}

/* The list child `name` of a struct row: its element schema/array and range. */
static int child_list(const struct ArrowSchema *s, const struct ArrowArray *a, const char *name, int64_t row,
                      const struct ArrowSchema **es, const struct ArrowArray **ea, int64_t *start, int64_t *end) {
  int i = arrow_child_index(s, name);
  if (i < 0) return -1;
  const struct ArrowSchema *ls = s->children[i];
  const struct ArrowArray *la = a->children[i];
  if (ls->n_children != 1) return -1;
  if (arrow_list_range(ls, la, arrow_physical(a, row), start, end) != 0) return -1;
  *es = ls->children[0];
  *ea = la->children[0];
  return 0;
}

static int by_name(const void *x, const void *y) {
  const char *a = json_string_value(json_object_get(*(json_t *const *)x, "name"));
  const char *b = json_string_value(json_object_get(*(json_t *const *)y, "name"));
  return strcmp(a ? a : "", b ? b : "");
}

static int by_position(const void *x, const void *y) {
  json_int_t a = json_integer_value(json_object_get(*(json_t *const *)x, "position"));
  json_int_t b = json_integer_value(json_object_get(*(json_t *const *)y, "position"));
  return (a > b) - (a < b);
}

/* Sorts a JSON array in place. */
static void sort_array(json_t *arr, int (*cmp)(const void *, const void *)) {
  size_t n = json_array_size(arr);
  if (n < 2) return;
  json_t **items = malloc(n * sizeof *items);
  if (!items) return;
  for (size_t i = 0; i < n; i++) items[i] = json_incref(json_array_get(arr, i));
  qsort(items, n, sizeof *items, cmp);
  json_array_clear(arr);
  for (size_t i = 0; i < n; i++) json_array_append_new(arr, items[i]);
  free(items);
}

/* Arrow-derived type names of a table's columns (for drivers without xdbc_type_name). */
static json_t *arrow_types(scan_ctx *x, const char *catalog, const char *db_schema, const char *table) {
  struct ArrowSchema s;
  memset(&s, 0, sizeof s);
  struct AdbcError e;
  mcpk_adbc_error_init(x->version, &e);
  json_t *out = json_object();
  if (x->d->ConnectionGetTableSchema(x->conn, catalog, db_schema, table, &s, &e) == ADBC_STATUS_OK) {
    for (int64_t i = 0; i < s.n_children; i++) {
      arrow_column col;
      char msg[128];
      if (arrow_column_init(&col, s.children[i], msg, sizeof msg) == 0 && s.children[i]->name)
        json_object_set_new(out, s.children[i]->name, json_string(col.type_name));
      arrow_column_free(&col);
    }
  }
  mcpk_adbc_error_release(&e);
  if (s.release) s.release(&s);
  return out;
}

static json_t *scan_columns(scan_ctx *x, const struct ArrowSchema *ts, const struct ArrowArray *ta, int64_t row,
                            const char *catalog, const char *db_schema, const char *table) {
  json_t *cols = json_array();
  const struct ArrowSchema *cs;
  const struct ArrowArray *ca;
  int64_t start, end;
  json_t *fallback = NULL;
  if (child_list(ts, ta, "table_columns", row, &cs, &ca, &start, &end) == 0) {
    for (int64_t i = start; i < end; i++) {
      json_t *col = json_object();
      char *name = child_string(cs, ca, "column_name", i);
      json_object_set_new(col, "name", json_string(name ? name : ""));
      char *type = child_string(cs, ca, "xdbc_type_name", i);
      if (!type) {
        if (!fallback) fallback = arrow_types(x, catalog, db_schema, table);
        const char *t = name ? json_string_value(json_object_get(fallback, name)) : NULL;
        json_object_set_new(col, "type", t ? json_string(t) : json_null());
      } else {
        json_object_set_new(col, "type", json_string(type));
      }
      int64_t nullable = -1;
      json_t *nv = json_null();
      if (child_int(cs, ca, "xdbc_nullable", i, &nullable) == 0 && (nullable == 0 || nullable == 1)) {
        nv = json_boolean(nullable == 1);
      } else {
        char *isn = child_string(cs, ca, "xdbc_is_nullable", i);
        if (isn && strcasecmp(isn, "NO") == 0) nv = json_false();
        else if (isn && strcasecmp(isn, "YES") == 0) nv = json_true();
        free(isn);
      }
      json_object_set_new(col, "nullable", nv);
      char *def = child_string(cs, ca, "xdbc_column_def", i);
      json_object_set_new(col, "default", def ? json_string(def) : json_null());
      int64_t pos = 0;
      if (child_int(cs, ca, "ordinal_position", i, &pos) != 0) pos = i - start + 1;
      json_object_set_new(col, "position", json_integer(pos));
      json_array_append_new(cols, col);
      free(name);
      free(type);
      free(def);
    }
  }
  json_decref(fallback);
  sort_array(cols, by_position);
  return cols;
}

static json_t *string_list(const struct ArrowSchema *s, const struct ArrowArray *a, const char *name, int64_t row) {
  json_t *out = json_array();
  const struct ArrowSchema *es;
  const struct ArrowArray *ea;
  int64_t start, end;
  if (child_list(s, a, name, row, &es, &ea, &start, &end) != 0) return out;
  for (int64_t i = start; i < end; i++) {
    const char *d;
    size_t n;
    if (arrow_get_string(es, ea, i, &d, &n) == 0) json_array_append_new(out, json_stringn(d, n));
  }
  return out;
}

static json_t *scan_constraints(const struct ArrowSchema *ts, const struct ArrowArray *ta, int64_t row, const char *table) {
  json_t *out = json_array();
  const struct ArrowSchema *ks;
  const struct ArrowArray *ka;
  int64_t start, end;
  if (child_list(ts, ta, "table_constraints", row, &ks, &ka, &start, &end) != 0) return out;
  int fk = 0, uq = 0;
  for (int64_t i = start; i < end; i++) {
    char *type = child_string(ks, ka, "constraint_type", i);
    char *name = child_string(ks, ka, "constraint_name", i);
    const char *kind = NULL;
    if (type && strcasecmp(type, "PRIMARY KEY") == 0) kind = "primary_key";
    else if (type && strcasecmp(type, "FOREIGN KEY") == 0) kind = "foreign_key";
    else if (type && strcasecmp(type, "UNIQUE") == 0) kind = "unique";
    if (kind) {
      json_t *k = json_object();
      json_object_set_new(k, "type", json_string(kind));
      char synth[300];
      if (!name || !*name) {
        if (strcmp(kind, "primary_key") == 0) snprintf(synth, sizeof synth, "%.250s_pkey", table);
        else if (strcmp(kind, "foreign_key") == 0) snprintf(synth, sizeof synth, "%.250s_fk%d", table, fk);
        else snprintf(synth, sizeof synth, "%.250s_key%d", table, uq);
      }
      if (strcmp(kind, "foreign_key") == 0) fk++;
      if (strcmp(kind, "unique") == 0) uq++;
      json_object_set_new(k, "name", json_string(name && *name ? name : synth));
      json_object_set_new(k, "columns", string_list(ks, ka, "constraint_column_names", i));
      if (strcmp(kind, "foreign_key") == 0) {
        const struct ArrowSchema *us;
        const struct ArrowArray *ua;
        int64_t us0, us1;
        json_t *refcols = json_array();
        char *ref_schema = NULL, *ref_catalog = NULL, *ref_table = NULL;
        if (child_list(ks, ka, "constraint_column_usage", i, &us, &ua, &us0, &us1) == 0) {
          for (int64_t u = us0; u < us1; u++) {
            char *col = child_string(us, ua, "fk_column_name", u);
            if (col) json_array_append_new(refcols, json_string(col));
            free(col);
            if (!ref_table) {
              ref_table = child_string(us, ua, "fk_table", u);
              ref_schema = child_string(us, ua, "fk_db_schema", u);
              ref_catalog = child_string(us, ua, "fk_catalog", u);
            }
          }
        }
        const char *rs = ref_schema && *ref_schema ? ref_schema : ref_catalog;
        json_object_set_new(k, "referenced_schema", rs ? json_string(rs) : json_null());
        json_object_set_new(k, "referenced_table", ref_table ? json_string(ref_table) : json_null());
        json_object_set_new(k, "referenced_columns", refcols);
        free(ref_schema);
        free(ref_catalog);
        free(ref_table);
      }
      json_array_append_new(out, k);
    }
    free(type);
    free(name);
  }
  sort_array(out, by_name);
  return out;
}

static void scan_tables(scan_ctx *x, json_t *schema, const char *catalog, const char *db_schema,
                        const struct ArrowSchema *ds, const struct ArrowArray *da, int64_t row) {
  const struct ArrowSchema *ts;
  const struct ArrowArray *ta;
  int64_t start, end;
  json_t *tables = json_object_get(schema, "tables");
  if (!tables) {
    tables = json_array();
    json_object_set_new(schema, "tables", tables);
  }
  if (child_list(ds, da, "db_schema_tables", row, &ts, &ta, &start, &end) != 0) return;
  for (int64_t i = start; i < end; i++) {
    char *name = child_string(ts, ta, "table_name", i);
    if (!name || (x->args->table && strcmp(name, x->args->table) != 0)) { free(name); continue; }
    char *type = child_string(ts, ta, "table_type", i);
    if (type && strcasestr(type, "index")) { free(name); free(type); continue; } /* SQLite lists its indexes */
    x->table_seen = 1;
    json_t *t = json_object();
    json_object_set_new(t, "name", json_string(name));
    json_object_set_new(t, "type", json_string(type && strcasestr(type, "view") ? "view" : "table"));
    if (x->args->depth >= MCPK_SCAN_COLUMNS) {
      json_object_set_new(t, "columns", scan_columns(x, ts, ta, i, catalog, db_schema, name));
      json_object_set_new(t, "constraints", scan_constraints(ts, ta, i, name));
    }
    json_array_append_new(tables, t);
    free(name);
    free(type);
  }
}

/* Reads one GetObjects stream into x->schemas. */
static mcpk_status read_objects(scan_ctx *x, struct ArrowArrayStream *stream, mcpk_error *err) {
  struct ArrowSchema s;
  memset(&s, 0, sizeof s);
  int code = stream->get_schema(stream, &s);
  if (code != 0) {
    const char *m = stream->get_last_error ? stream->get_last_error(stream) : NULL;
    return mcpk_adbc_set_error(err, MCPK_STATUS_IO, NULL, 0, "GetObjects: cannot read the schema: %s", m ? m : "?");
  }
  mcpk_status st = MCPK_STATUS_OK;
  for (;;) {
    struct ArrowArray b;
    memset(&b, 0, sizeof b);
    code = stream->get_next(stream, &b);
    if (code != 0) {
      const char *m = stream->get_last_error ? stream->get_last_error(stream) : NULL;
      st = mcpk_adbc_set_error(err, MCPK_STATUS_IO, NULL, 0, "GetObjects failed: %s", m ? m : "?");
      break;
    }
    if (!b.release) break;
    for (int64_t r = 0; r < b.length; r++) {
      char *catalog = child_string(&s, &b, "catalog_name", r);
      const struct ArrowSchema *ds;
      const struct ArrowArray *da;
      int64_t start, end;
      if (child_list(&s, &b, "catalog_db_schemas", r, &ds, &da, &start, &end) == 0) {
        for (int64_t i = start; i < end; i++) {
          char *dbs = child_string(ds, da, "db_schema_name", i);
          const char *name = dbs && *dbs ? dbs : (catalog ? catalog : "");
          int wanted = x->args->schema ? strcmp(name, x->args->schema) == 0 : !is_system_schema(name);
          if (wanted) {
            json_t *schema = json_object_get(x->schemas, name);
            if (!schema) {
              schema = json_object();
              json_object_set_new(schema, "name", json_string(name));
              json_object_set_new(x->schemas, name, schema);
            }
            if (x->args->depth >= MCPK_SCAN_TABLES)
              scan_tables(x, schema, catalog, dbs && *dbs ? dbs : NULL, ds, da, i);
          }
          free(dbs);
        }
      }
      free(catalog);
    }
    b.release(&b);
  }
  if (s.release) s.release(&s);
  return st;
}

static mcpk_status get_objects(scan_ctx *x, const char *catalog, const char *db_schema, mcpk_error *err) {
  int depth = x->args->depth <= MCPK_SCAN_SCHEMAS ? ADBC_OBJECT_DEPTH_DB_SCHEMAS
            : x->args->depth == MCPK_SCAN_TABLES ? ADBC_OBJECT_DEPTH_TABLES : ADBC_OBJECT_DEPTH_ALL;
  struct ArrowArrayStream stream;
  memset(&stream, 0, sizeof stream);
  struct AdbcError e;
  mcpk_adbc_error_init(x->version, &e);
  AdbcStatusCode rc = x->d->ConnectionGetObjects(x->conn, depth, catalog, db_schema,
                                                 x->args->depth >= MCPK_SCAN_TABLES ? x->args->table : NULL, NULL, NULL,
                                                 &stream, &e);
  if (rc != ADBC_STATUS_OK) return mcpk_adbc_from_error(err, rc, &e, "AdbcConnectionGetObjects failed");
  mcpk_adbc_error_release(&e);
  mcpk_status st = read_objects(x, &stream, err);
  if (stream.release) stream.release(&stream);
  return st;
}

mcpk_status mcpk_adbc_scan(const struct AdbcDriver *d, int version, struct AdbcConnection *conn, const mcpk_scan_args *args,
                           char **out_json, mcpk_error *err) {
  scan_ctx x = {d, version, conn, args, json_object(), 0};
  /* A filtered schema is a db_schema, or (drivers without schemas) a catalog. */
  mcpk_status st = get_objects(&x, NULL, args->schema, err);
  if (st == MCPK_STATUS_OK && args->schema && json_object_size(x.schemas) == 0) st = get_objects(&x, args->schema, NULL, err);
  if (st != MCPK_STATUS_OK) { json_decref(x.schemas); return st; }
  if (args->schema && json_object_size(x.schemas) == 0) {
    json_decref(x.schemas);
    return mcpk_adbc_set_error(err, MCPK_STATUS_NOT_FOUND, "3F000", 0, "schema \"%s\" does not exist", args->schema);
  }
  if (args->table && args->depth >= MCPK_SCAN_TABLES && !x.table_seen) {
    json_decref(x.schemas);
    return mcpk_adbc_set_error(err, MCPK_STATUS_NOT_FOUND, "42P01", 0, "table \"%s\" does not exist", args->table);
  }
  json_t *list = json_array();
  const char *k;
  json_t *v;
  json_object_foreach(x.schemas, k, v) {
    json_t *tables = json_object_get(v, "tables");
    if (tables) sort_array(tables, by_name);
    json_array_append(list, v);
  }
  sort_array(list, by_name);
  json_decref(x.schemas);
  json_t *doc = json_pack("{s:o}", "schemas", list);
  *out_json = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(doc);
  return *out_json ? MCPK_STATUS_OK : MCPK_STATUS_NO_MEMORY;
}
