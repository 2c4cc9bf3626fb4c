/*
 * adbc: the bundled ADBC bridge. Any ADBC driver shared library (the
 * `libadbc_driver_*.so` inside the `adbc-driver-*` PyPI wheels, or any other
 * exporting `AdbcDriverInit` / `AdbcDriver<Name>Init`) becomes a connector.
 *
 * Config (jansson-parsed): {"driver": PATH, "entrypoint": SYMBOL?, "uri": TEXT?,
 * "username": TEXT?, "secret_option": KEY? (default "password"),
 * "database_options": {KEY: SCALAR}, "connection_options": {…},
 * "statement_options": {…}, "read_only": BOOL, "read_only_sql": TEXT?,
 * "test_sql": TEXT?}. The
 * connection's sealed secret becomes the database option `secret_option`.
 *
 * The driver is loaded once per path (never unloaded: Go-built drivers cannot
 * be), initialised with ADBC 1.1.0, else 1.0.0. A query is one AdbcStatement:
 * parameters are bound as a one-row Arrow struct array, the result is an Arrow
 * C stream read batch by batch (one batch in memory at a time) and decoded into
 * host cells by arrow_cells.c; max_rows stops reading (a cancel then tells the
 * driver to stop producing). cancel and the statement timeout call
 * AdbcStatementCancel (1.1.0 drivers). scan is AdbcConnectionGetObjects.
 * Errors carry the driver's AdbcError message, SQLSTATE and vendor code.
 */
#define _GNU_SOURCE
#include "adbc_abi.h"
#include "adbc_bridge.h"
#include "arrow_cells.h"
#include "mcpk/plugin.h"
#include "mcpk_plugin_support.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Longest error message kept from a driver. */
#define ADBC_MAX_MESSAGE 4096
/* Drivers loaded at once by one plugin instance. */
#define ADBC_MAX_DRIVERS 32
/* Default test statement. */
#define ADBC_DEFAULT_TEST_SQL "SELECT 1"

static const mcpk_host *host;

#define set_error mcpk_adbc_set_error
#define from_adbc mcpk_adbc_from_error
#define adbc_error_release mcpk_adbc_error_release

/* ---- errors --------------------------------------------------------------- */

mcpk_status mcpk_adbc_set_error(mcpk_error *err, mcpk_status st, const char *sqlstate, int32_t vendor, const char *fmt, ...) {
  if (!err) return st;
  if (err->release) err->release(err);
  char *msg = malloc(ADBC_MAX_MESSAGE);
  if (msg) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, ADBC_MAX_MESSAGE, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
  }
  err->message = msg;
  err->vendor_code = vendor;
  memset(err->sqlstate, 0, sizeof err->sqlstate);
  if (sqlstate) memcpy(err->sqlstate, sqlstate, 5);
  err->release = mp_error_release;
  return st;
}

/* The status for an SQLSTATE (SQL standard classes), or -1 when it says nothing. */
static mcpk_status status_for_sqlstate(const char *s) {
  if (!s[0]) return -1;
  if (strncmp(s, "28", 2) == 0) return MCPK_STATUS_UNAUTHENTICATED;
  if (strncmp(s, "42501", 5) == 0 || strncmp(s, "25006", 5) == 0) return MCPK_STATUS_FORBIDDEN;
  if (strncmp(s, "42P01", 5) == 0 || strncmp(s, "42703", 5) == 0 || strncmp(s, "3F000", 5) == 0 ||
      strncmp(s, "42883", 5) == 0 || strncmp(s, "3D000", 5) == 0) return MCPK_STATUS_NOT_FOUND;
  if (strncmp(s, "42", 2) == 0 || strncmp(s, "22", 2) == 0 || strncmp(s, "23", 2) == 0 ||
      strncmp(s, "0A", 2) == 0 || strncmp(s, "08P01", 5) == 0 || strncmp(s, "26", 2) == 0) return MCPK_STATUS_INVALID_ARGUMENT;
  if (strncmp(s, "08", 2) == 0) return MCPK_STATUS_IO;
  return -1;
}

static mcpk_status status_for_adbc(AdbcStatusCode c) {
  switch (c) {
    case ADBC_STATUS_OK: return MCPK_STATUS_OK;
    case ADBC_STATUS_NOT_IMPLEMENTED: return MCPK_STATUS_NOT_IMPLEMENTED;
    case ADBC_STATUS_NOT_FOUND: return MCPK_STATUS_NOT_FOUND;
    case ADBC_STATUS_ALREADY_EXISTS:
    case ADBC_STATUS_INVALID_ARGUMENT:
    case ADBC_STATUS_INVALID_DATA:
    case ADBC_STATUS_INTEGRITY: return MCPK_STATUS_INVALID_ARGUMENT;
    case ADBC_STATUS_INVALID_STATE: return MCPK_STATUS_INVALID_STATE;
    case ADBC_STATUS_IO: return MCPK_STATUS_IO;
    case ADBC_STATUS_CANCELLED: return MCPK_STATUS_CANCELLED;
    case ADBC_STATUS_TIMEOUT: return MCPK_STATUS_TIMEOUT;
    case ADBC_STATUS_UNAUTHENTICATED: return MCPK_STATUS_UNAUTHENTICATED;
    case ADBC_STATUS_UNAUTHORIZED: return MCPK_STATUS_FORBIDDEN;
    case ADBC_STATUS_INTERNAL: return MCPK_STATUS_INTERNAL;
    default: return MCPK_STATUS_IO;
  }
}

static const char *adbc_status_name(AdbcStatusCode c) {
  static const char *names[] = {"OK", "UNKNOWN", "NOT_IMPLEMENTED", "NOT_FOUND", "ALREADY_EXISTS", "INVALID_ARGUMENT",
                                "INVALID_STATE", "INVALID_DATA", "INTEGRITY", "INTERNAL", "IO", "CANCELLED",
                                "TIMEOUT", "UNAUTHENTICATED", "UNAUTHORIZED"};
  return c < sizeof names / sizeof names[0] ? names[c] : "UNKNOWN";
}

/* ---- drivers ---------------------------------------------------------------- */

typedef struct adbc_driver {
  char *path;
  char *entrypoint;
  struct AdbcDriver table;
  int version; /* ADBC_VERSION_1_1_0 or ADBC_VERSION_1_0_0 */
  char init_symbol[128];
} adbc_driver;

static pthread_mutex_t drivers_lock = PTHREAD_MUTEX_INITIALIZER;
static adbc_driver *drivers[ADBC_MAX_DRIVERS];
static int driver_count;

void mcpk_adbc_error_init(int version, struct AdbcError *e) {
  memset(e, 0, sizeof *e);
  if (version >= ADBC_VERSION_1_1_0) e->vendor_code = ADBC_ERROR_VENDOR_CODE_PRIVATE_DATA;
}

#define adbc_error_init(d, e) mcpk_adbc_error_init((d)->version, (e))

void mcpk_adbc_error_release(struct AdbcError *e) {
  if (e->release) e->release(e);
  e->release = NULL;
}

/* Converts a failed ADBC call into the mcpk error (consuming `e`). */
mcpk_status mcpk_adbc_from_error(mcpk_error *err, AdbcStatusCode code, struct AdbcError *e, const char *what) {
  char state[6] = {0};
  int32_t vendor = 0;
  const char *msg = NULL;
  if (e) {
    memcpy(state, e->sqlstate, 5);
    for (int i = 0; i < 5; i++) if (!isalnum((unsigned char)state[i])) { memset(state, 0, sizeof state); break; }
    vendor = e->vendor_code == ADBC_ERROR_VENDOR_CODE_PRIVATE_DATA ? 0 : e->vendor_code;
    msg = e->message;
  }
  mcpk_status st = status_for_sqlstate(state);
  if ((int)st < 0) st = status_for_adbc(code);
  if (st == MCPK_STATUS_OK) st = MCPK_STATUS_UNKNOWN;
  set_error(err, st, state[0] ? state : NULL, vendor, "%s: %s (ADBC %s)", what, msg && *msg ? msg : "no message",
            adbc_status_name(code));
  if (e) adbc_error_release(e);
  return st;
}

/* `libadbc_driver_big_query.so` → `AdbcDriverBigQueryInit` (the ADBC driver manager's convention). */
static void derived_entrypoint(const char *path, char *out, size_t outlen) {
  const char *file = strrchr(path, '/');
  file = file ? file + 1 : path;
  if (strncmp(file, "lib", 3) == 0) file += 3;
  if (strncmp(file, "adbc_driver_", 12) == 0) file += 12;
  size_t n = 0;
  n += (size_t)snprintf(out, outlen, "AdbcDriver");
  int upper = 1;
  for (const char *p = file; *p && *p != '.' && n + 6 < outlen; p++) {
    if (*p == '_' || *p == '-') { upper = 1; continue; }
    out[n++] = upper ? (char)toupper((unsigned char)*p) : *p;
    upper = 0;
  }
  snprintf(out + n, outlen - n, "Init");
}

static mcpk_status load_driver(const char *path, const char *entrypoint, adbc_driver **out, mcpk_error *err) {
  pthread_mutex_lock(&drivers_lock);
  for (int i = 0; i < driver_count; i++) {
    if (strcmp(drivers[i]->path, path) == 0 &&
        ((!entrypoint && !drivers[i]->entrypoint) || (entrypoint && drivers[i]->entrypoint && strcmp(entrypoint, drivers[i]->entrypoint) == 0))) {
      *out = drivers[i];
      pthread_mutex_unlock(&drivers_lock);
      return MCPK_STATUS_OK;
    }
  }
  mcpk_status st = MCPK_STATUS_OK;
  if (driver_count >= ADBC_MAX_DRIVERS) {
    st = set_error(err, MCPK_STATUS_INVALID_STATE, NULL, 0, "too many ADBC drivers loaded (ADBC_MAX_DRIVERS = %d)", ADBC_MAX_DRIVERS);
    goto done;
  }
  /* RTLD_NODELETE: a driver stays mapped for the life of the process (Go runtimes cannot unload). */
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
  if (!h) {
    const char *why = dlerror();
    st = set_error(err, MCPK_STATUS_NOT_FOUND, NULL, 0, "cannot load ADBC driver %s: %s", path, why ? why : "dlopen failed");
    goto done;
  }
  char derived[128];
  derived_entrypoint(path, derived, sizeof derived);
  const char *candidates[3] = {entrypoint, entrypoint ? NULL : "AdbcDriverInit", entrypoint ? NULL : derived};
  AdbcDriverInitFunc init = NULL;
  const char *found = NULL;
  for (int i = 0; i < 3 && !init; i++) {
    if (!candidates[i]) continue;
    init = (AdbcDriverInitFunc)dlsym(h, candidates[i]);
    if (init) found = candidates[i];
  }
  if (!init) {
    st = set_error(err, MCPK_STATUS_INVALID_ARGUMENT, NULL, 0, "%s exports no ADBC entry point (%s)", path,
                   entrypoint ? entrypoint : "looked for AdbcDriverInit and the name derived from the file");
    goto done;
  }
  adbc_driver *d = calloc(1, sizeof *d);
  if (!d) { st = MCPK_STATUS_NO_MEMORY; goto done; }
  snprintf(d->init_symbol, sizeof d->init_symbol, "%s", found);
  struct AdbcError e;
  int versions[2] = {ADBC_VERSION_1_1_0, ADBC_VERSION_1_0_0};
  AdbcStatusCode rc = ADBC_STATUS_NOT_IMPLEMENTED;
  for (int i = 0; i < 2; i++) {
    memset(&d->table, 0, sizeof d->table);
    memset(&e, 0, sizeof e);
    rc = init(versions[i], &d->table, &e);
    if (rc == ADBC_STATUS_OK) { d->version = versions[i]; break; }
    if (rc != ADBC_STATUS_NOT_IMPLEMENTED) break;
    adbc_error_release(&e);
  }
  if (rc != ADBC_STATUS_OK) {
    free(d);
    st = from_adbc(err, rc, &e, "ADBC driver initialisation failed");
    goto done;
  }
  d->path = strdup(path);
  d->entrypoint = entrypoint ? strdup(entrypoint) : NULL;
  drivers[driver_count++] = d;
  *out = d;
done:
  pthread_mutex_unlock(&drivers_lock);
  return st;
}

/* ---- connections ------------------------------------------------------------ */

/* Who holds the statement: idle → running (cancel may reach it) → idle. */
typedef enum statement_state { STATEMENT_IDLE, STATEMENT_RUNNING } statement_state;

struct mcpk_connection {
  adbc_driver *driver;
  struct AdbcDatabase db;
  struct AdbcConnection conn;
  int db_ready, conn_ready;
  json_t *statement_options;
  char *test_sql;
  int read_only;
  int rollback_each;     /* read-only enforced by the bridge: each statement in a rolled-back transaction */
  char *read_only_sql;   /* run first in each such transaction */
  pthread_mutex_t lock; /* guards state, stmt, deadline, closing */
  pthread_cond_t wake;
  statement_state state;
  struct AdbcStatement *stmt;
  int64_t deadline_ms; /* 0: none */
  int closing;
  int timer_started;
  pthread_t timer;
  atomic_int cancelled;
  atomic_int timed_out;
};

static int has_1_1(const mcpk_connection *c) { return c->driver->version >= ADBC_VERSION_1_1_0; }

/* Asks the driver to stop the running statement; call with c->lock held. */
static void cancel_locked(mcpk_connection *c) {
  if (c->state != STATEMENT_RUNNING || !c->stmt || !has_1_1(c) || !c->driver->table.StatementCancel) return;
  struct AdbcError e;
  adbc_error_init(c->driver, &e);
  c->driver->table.StatementCancel(c->stmt, &e);
  adbc_error_release(&e);
}

/* The statement-timeout thread: cancels the running statement at its deadline. */
static void *timer_main(void *arg) {
  mcpk_connection *c = arg;
  pthread_mutex_lock(&c->lock);
  while (!c->closing) {
    if (c->deadline_ms == 0) { pthread_cond_wait(&c->wake, &c->lock); continue; }
    int64_t left = c->deadline_ms - mp_now_ms();
    if (left <= 0) {
      atomic_store(&c->timed_out, 1);
      atomic_store(&c->cancelled, 1);
      cancel_locked(c);
      c->deadline_ms = 0;
      continue;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += left / 1000;
    ts.tv_nsec += (left % 1000) * 1000000;
    if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
    pthread_cond_timedwait(&c->wake, &c->lock, &ts);
  }
  pthread_mutex_unlock(&c->lock);
  return NULL;
}

static const char *scalar_text(json_t *v, char *buf, size_t n) {
  if (json_is_string(v)) return json_string_value(v);
  if (json_is_true(v)) return "true";
  if (json_is_false(v)) return "false";
  if (json_is_integer(v)) { snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v)); return buf; }
  if (json_is_real(v)) { snprintf(buf, n, "%.17g", json_real_value(v)); return buf; }
  return NULL;
}

/* Checks that `obj` (if present) is an object of scalars; names the first bad member. */
static mcpk_status check_options(json_t *config, const char *member, mcpk_error *err) {
  json_t *obj = json_object_get(config, member);
  if (!obj || json_is_null(obj)) return MCPK_STATUS_OK;
  if (!json_is_object(obj)) return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, NULL, 0, "config.%s must be an object", member);
  const char *k;
  json_t *v;
  char buf[64];
  json_object_foreach(obj, k, v) {
    if (!scalar_text(v, buf, sizeof buf))
      return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, NULL, 0, "config.%s.%s must be a string, number or boolean", member, k);
  }
  return MCPK_STATUS_OK;
}

static void close_connection(mcpk_connection *c) {
  if (!c) return;
  if (c->timer_started) {
    pthread_mutex_lock(&c->lock);
    c->closing = 1;
    pthread_cond_broadcast(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->timer, NULL);
  }
  struct AdbcError e;
  if (c->conn_ready) {
    adbc_error_init(c->driver, &e);
    c->driver->table.ConnectionRelease(&c->conn, &e);
    adbc_error_release(&e);
  }
  if (c->db_ready) {
    adbc_error_init(c->driver, &e);
    c->driver->table.DatabaseRelease(&c->db, &e);
    adbc_error_release(&e);
  }
  json_decref(c->statement_options);
  free(c->test_sql);
  free(c->read_only_sql);
  pthread_cond_destroy(&c->wake);
  pthread_mutex_destroy(&c->lock);
  free(c);
}

static mcpk_status set_db_option(mcpk_connection *c, const char *key, const char *value, mcpk_error *err) {
  struct AdbcError e;
  adbc_error_init(c->driver, &e);
  AdbcStatusCode rc = c->driver->table.DatabaseSetOption(&c->db, key, value, &e);
  if (rc == ADBC_STATUS_OK) { adbc_error_release(&e); return MCPK_STATUS_OK; }
  char what[256];
  snprintf(what, sizeof what, "database option '%.200s' refused", key);
  mcpk_status st = from_adbc(err, rc, &e, what);
  return st == MCPK_STATUS_NOT_IMPLEMENTED ? MCPK_STATUS_INVALID_ARGUMENT : st;
}

static mcpk_status set_conn_option(mcpk_connection *c, const char *key, const char *value, mcpk_error *err) {
  struct AdbcError e;
  adbc_error_init(c->driver, &e);
  AdbcStatusCode rc = c->driver->table.ConnectionSetOption(&c->conn, key, value, &e);
  if (rc == ADBC_STATUS_OK) { adbc_error_release(&e); return MCPK_STATUS_OK; }
  char what[256];
  snprintf(what, sizeof what, "connection option '%.200s' refused", key);
  mcpk_status st = from_adbc(err, rc, &e, what);
  return st == MCPK_STATUS_NOT_IMPLEMENTED ? MCPK_STATUS_INVALID_ARGUMENT : st;
}

/* Runs one statement of the bridge's own, discarding its result. */
static mcpk_status run_internal(mcpk_connection *c, const char *sql, mcpk_error *err);
static void info_strings(mcpk_connection *c, char *vendor, size_t vlen, char *driver, size_t dlen);

/* read_only: the driver's adbc.connection.readonly when it has it; else the
 * bridge runs every statement in a transaction of its own that it always
 * rolls back, opened with `read_only_sql` (default by vendor: PostgreSQL
 * "SET TRANSACTION READ ONLY", SQLite "PRAGMA query_only = ON"), so a write
 * fails at the source and nothing a statement did outlives it. */
static mcpk_status make_read_only(mcpk_connection *c, const char *read_only_sql, mcpk_error *err) {
  mcpk_error probe = {0};
  if (set_conn_option(c, "adbc.connection.readonly", "true", &probe) == MCPK_STATUS_OK) {
    if (probe.release) probe.release(&probe);
    return MCPK_STATUS_OK;
  }
  char why[512];
  snprintf(why, sizeof why, "%s", probe.message ? probe.message : "adbc.connection.readonly refused");
  if (probe.release) probe.release(&probe);
  if (!read_only_sql) {
    char vendor[300], driver[300];
    info_strings(c, vendor, sizeof vendor, driver, sizeof driver);
    if (strncmp(vendor, "PostgreSQL", 10) == 0) read_only_sql = "SET TRANSACTION READ ONLY";
    else if (strncmp(vendor, "SQLite", 6) == 0) read_only_sql = "PRAGMA query_only = ON";
    else
      return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, NULL, 0,
                       "read_only: the ADBC driver %s cannot make a connection read-only (%s) and the bridge knows no "
                       "read-only statement for \"%s\": set config.read_only_sql", c->driver->path, why, vendor);
  }
  mcpk_status st = set_conn_option(c, "adbc.connection.autocommit", "false", err);
  if (st != MCPK_STATUS_OK) return st;
  c->read_only_sql = strdup(read_only_sql);
  c->rollback_each = 1;
  return c->read_only_sql ? MCPK_STATUS_OK : MCPK_STATUS_NO_MEMORY;
}

static mcpk_status rollback(mcpk_connection *c, mcpk_error *err) {
  struct AdbcError e;
  adbc_error_init(c->driver, &e);
  AdbcStatusCode rc = c->driver->table.ConnectionRollback(&c->conn, &e);
  if (rc == ADBC_STATUS_OK) { adbc_error_release(&e); return MCPK_STATUS_OK; }
  return from_adbc(err, rc, &e, "rollback failed");
}

static mcpk_status a_open(void *pd, const mcpk_connect_args *a, mcpk_connection **out, mcpk_error *err) {
  (void)pd;
  json_error_t jerr;
  json_t *config = json_loads(a->config_json ? a->config_json : "{}", 0, &jerr);
  if (!json_is_object(config)) {
    json_decref(config);
    return set_error(err, MCPK_STATUS_INVALID_ARGUMENT, NULL, 0, "config must be a JSON object");
  }
  mcpk_status st = MCPK_STATUS_OK;
  mcpk_connection *c = NULL;
  const char *driver_path = json_string_value(json_object_get(config, "driver"));
  if (!driver_path || !*driver_path) {
    st = set_error(err, MCPK_STATUS_INVALID_ARGUMENT, NULL, 0, "config.driver (the ADBC driver .so path) is required");
    goto fail;
  }
  static const char *option_members[] = {"database_options", "connection_options", "statement_options"};
  for (size_t i = 0; i < 3; i++) if ((st = check_options(config, option_members[i], err)) != MCPK_STATUS_OK) goto fail;
  adbc_driver *driver = NULL;
  st = load_driver(driver_path, json_string_value(json_object_get(config, "entrypoint")), &driver, err);
  if (st != MCPK_STATUS_OK) goto fail;

  c = calloc(1, sizeof *c);
  if (!c) { st = MCPK_STATUS_NO_MEMORY; goto fail; }
  c->driver = driver;
  pthread_mutex_init(&c->lock, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&c->wake, &ca);
  pthread_condattr_destroy(&ca);
  c->read_only = json_is_true(json_object_get(config, "read_only"));
  const char *test_sql = json_string_value(json_object_get(config, "test_sql"));
  c->test_sql = strdup(test_sql ? test_sql : ADBC_DEFAULT_TEST_SQL);
  c->statement_options = json_incref(json_object_get(config, "statement_options"));

  struct AdbcError e;
  adbc_error_init(driver, &e);
  AdbcStatusCode rc = driver->table.DatabaseNew(&c->db, &e);
  if (rc != ADBC_STATUS_OK) { st = from_adbc(err, rc, &e, "AdbcDatabaseNew failed"); goto fail; }
  adbc_error_release(&e);
  c->db_ready = 1;
  const char *uri = json_string_value(json_object_get(config, "uri"));
  if (uri && (st = set_db_option(c, "uri", uri, err)) != MCPK_STATUS_OK) goto fail;
  const char *user = json_string_value(json_object_get(config, "username"));
  if (user && (st = set_db_option(c, "username", user, err)) != MCPK_STATUS_OK) goto fail;
  const char *k;
  json_t *v;
  char buf[64];
  json_object_foreach(json_object_get(config, "database_options"), k, v) {
    if ((st = set_db_option(c, k, scalar_text(v, buf, sizeof buf), err)) != MCPK_STATUS_OK) goto fail;
  }
  if (a->secret) {
    json_t *so = json_object_get(config, "secret_option");
    const char *secret_key = json_is_string(so) ? json_string_value(so) : "password";
    if ((st = set_db_option(c, secret_key, a->secret, err)) != MCPK_STATUS_OK) goto fail;
  }
  adbc_error_init(driver, &e);
  rc = driver->table.DatabaseInit(&c->db, &e);
  if (rc != ADBC_STATUS_OK) { st = from_adbc(err, rc, &e, "cannot open the database"); goto fail; }
  adbc_error_release(&e);

  adbc_error_init(driver, &e);
  rc = driver->table.ConnectionNew(&c->conn, &e);
  if (rc != ADBC_STATUS_OK) { st = from_adbc(err, rc, &e, "AdbcConnectionNew failed"); goto fail; }
  adbc_error_release(&e);
  c->conn_ready = 1;
  json_object_foreach(json_object_get(config, "connection_options"), k, v) {
    if ((st = set_conn_option(c, k, scalar_text(v, buf, sizeof buf), err)) != MCPK_STATUS_OK) goto fail;
  }
  adbc_error_init(driver, &e);
  rc = driver->table.ConnectionInit(&c->conn, &c->db, &e);
  if (rc != ADBC_STATUS_OK) {
    c->conn_ready = 0; /* released here: ADBC requires ConnectionRelease after ConnectionNew */
    struct AdbcError e2;
    adbc_error_init(driver, &e2);
    driver->table.ConnectionRelease(&c->conn, &e2);
    adbc_error_release(&e2);
    st = from_adbc(err, rc, &e, "cannot connect");
    goto fail;
  }
  adbc_error_release(&e);
  if (c->read_only && (st = make_read_only(c, json_string_value(json_object_get(config, "read_only_sql")), err)) != MCPK_STATUS_OK)
    goto fail;
  json_decref(config);
  *out = c;
  return MCPK_STATUS_OK;
fail:
  close_connection(c);
  json_decref(config);
  return st == MCPK_STATUS_OK ? MCPK_STATUS_INTERNAL : st;
}

static void a_close(mcpk_connection *c) { close_connection(c); }

static mcpk_status a_cancel(mcpk_connection *c) {
  pthread_mutex_lock(&c->lock);
  if (c->state == STATEMENT_RUNNING) {
    atomic_store(&c->cancelled, 1);
    cancel_locked(c);
  }
  pthread_mutex_unlock(&c->lock);
  return has_1_1(c) ? MCPK_STATUS_OK : MCPK_STATUS_NOT_IMPLEMENTED;
}

/* ---- parameters: one-row Arrow struct array ------------------------------------- */

typedef struct param_schema_pack {
  struct ArrowSchema *children;
  struct ArrowSchema **child_ptrs;
  char (*names)[24];
} param_schema_pack;

typedef struct param_array_pack {
  struct ArrowArray *children;
  struct ArrowArray **child_ptrs;
  const void **buffers; /* 3 per child + 1 for the struct */
  int32_t *offsets;     /* 2 per child */
  char **data;          /* owned copies of text/bytes/scalars, one per child */
  size_t count;
} param_array_pack;

static void child_schema_release(struct ArrowSchema *s) { s->release = NULL; }
static void child_array_release(struct ArrowArray *a) { a->release = NULL; }

static void param_schema_release(struct ArrowSchema *s) {
  param_schema_pack *p = s->private_data;
  if (p) { free(p->children); free(p->child_ptrs); free(p->names); free(p); }
  s->release = NULL;
}

static void param_array_release(struct ArrowArray *a) {
  param_array_pack *p = a->private_data;
  if (p) {
    for (size_t i = 0; i < p->count; i++) free(p->data[i]);
    free(p->data); free(p->children); free(p->child_ptrs); free(p->buffers); free(p->offsets); free(p);
  }
  a->release = NULL;
}

static int build_params(const mcpk_query *q, struct ArrowSchema *schema, struct ArrowArray *array) {
  size_t n = q->param_count;
  param_schema_pack *sp = calloc(1, sizeof *sp);
  param_array_pack *ap = calloc(1, sizeof *ap);
  if (!sp || !ap) { free(sp); free(ap); return -1; }
  sp->children = calloc(n, sizeof *sp->children);
  sp->child_ptrs = calloc(n, sizeof *sp->child_ptrs);
  sp->names = calloc(n, sizeof *sp->names);
  ap->children = calloc(n, sizeof *ap->children);
  ap->child_ptrs = calloc(n, sizeof *ap->child_ptrs);
  ap->buffers = calloc(3 * n + 1, sizeof *ap->buffers);
  ap->offsets = calloc(2 * n, sizeof *ap->offsets);
  ap->data = calloc(n, sizeof *ap->data);
  ap->count = n;
  memset(schema, 0, sizeof *schema);
  memset(array, 0, sizeof *array);
  schema->format = "+s";
  schema->name = "";
  schema->n_children = (int64_t)n;
  schema->children = sp->child_ptrs;
  schema->release = param_schema_release;
  schema->private_data = sp;
  array->length = 1;
  array->n_buffers = 1;
  array->buffers = ap->buffers + 3 * n;
  array->n_children = (int64_t)n;
  array->children = ap->child_ptrs;
  array->release = param_array_release;
  array->private_data = ap;
  if (!sp->children || !sp->child_ptrs || !sp->names || !ap->children || !ap->child_ptrs || !ap->buffers ||
      !ap->offsets || !ap->data) return -1;
  for (size_t i = 0; i < n; i++) {
    const mcpk_value *v = &q->params[i];
    struct ArrowSchema *cs = &sp->children[i];
    struct ArrowArray *ca = &ap->children[i];
    sp->child_ptrs[i] = cs;
    ap->child_ptrs[i] = ca;
    snprintf(sp->names[i], sizeof sp->names[i], "%zu", i + 1);
    cs->name = sp->names[i];
    cs->flags = MCPK_ARROW_FLAG_NULLABLE;
    cs->release = child_schema_release;
    ca->length = 1;
    ca->release = child_array_release;
    const void **bufs = ap->buffers + 3 * i;
    ca->buffers = bufs;
    switch (v->type) {
      case MCPK_TYPE_NULL:
        cs->format = "n";
        ca->null_count = 1;
        ca->n_buffers = 0;
        break;
      case MCPK_TYPE_BOOL:
        cs->format = "b";
        ca->n_buffers = 2;
        if (!(ap->data[i] = calloc(1, 8))) return -1;
        ap->data[i][0] = v->v.b ? 1 : 0;
        bufs[1] = ap->data[i];
        break;
      case MCPK_TYPE_INT64:
      case MCPK_TYPE_DOUBLE:
        cs->format = v->type == MCPK_TYPE_INT64 ? "l" : "g";
        ca->n_buffers = 2;
        if (!(ap->data[i] = malloc(8))) return -1;
        memcpy(ap->data[i], v->type == MCPK_TYPE_INT64 ? (const void *)&v->v.i : (const void *)&v->v.d, 8);
        bufs[1] = ap->data[i];
        break;
      default: /* text (objects and arrays arrive as their JSON text) and bytes */
        cs->format = v->type == MCPK_TYPE_BYTES ? "z" : "u";
        ca->n_buffers = 3;
        if (!(ap->data[i] = malloc(v->v.s.length + 1))) return -1;
        if (v->v.s.length) memcpy(ap->data[i], v->v.s.data, v->v.s.length);
        ap->offsets[2 * i] = 0;
        ap->offsets[2 * i + 1] = (int32_t)v->v.s.length;
        bufs[1] = &ap->offsets[2 * i];
        bufs[2] = ap->data[i];
        break;
    }
  }
  return 0;
}

/* ---- statements ------------------------------------------------------------------ */

/* The error of a failed stream call, consumed into `err`. */
static mcpk_status stream_error(mcpk_connection *c, struct ArrowArrayStream *stream, int code, mcpk_error *err, const char *what) {
  if (has_1_1(c) && c->driver->table.ErrorFromArrayStream) {
    AdbcStatusCode sc = ADBC_STATUS_IO;
    const struct AdbcError *ae = c->driver->table.ErrorFromArrayStream(stream, &sc);
    if (ae) {
      /* Borrowed: copy, never release (the stream owns it). */
      struct AdbcError copy = *ae;
      copy.release = NULL;
      return from_adbc(err, sc, &copy, what);
    }
  }
  const char *m = stream->get_last_error ? stream->get_last_error(stream) : NULL;
  return set_error(err, code == ECANCELED ? MCPK_STATUS_CANCELLED : MCPK_STATUS_IO, NULL, 0, "%s: %s (errno %d)", what,
                   m && *m ? m : strerror(code), code);
}

/* Replaces the error of a statement the bridge stopped (cancel or timeout) with the contract's. */
static mcpk_status stopped_error(mcpk_connection *c, const mcpk_query *q, mcpk_error *err) {
  char driver_msg[512] = "";
  char state[6] = "57014";
  if (err->message) snprintf(driver_msg, sizeof driver_msg, "%s", err->message);
  if (err->sqlstate[0]) memcpy(state, err->sqlstate, 5);
  int32_t vendor = err->vendor_code;
  if (atomic_load(&c->timed_out))
    return set_error(err, MCPK_STATUS_TIMEOUT, state, vendor, "canceling statement due to statement timeout (%lld ms)%s%s",
                     (long long)q->timeout_ms, driver_msg[0] ? ": " : "", driver_msg);
  return set_error(err, MCPK_STATUS_CANCELLED, state, vendor, "canceling statement due to user request%s%s",
                   driver_msg[0] ? ": " : "", driver_msg);
}

static void begin_statement(mcpk_connection *c, struct AdbcStatement *stmt, int64_t timeout_ms) {
  pthread_mutex_lock(&c->lock);
  c->stmt = stmt;
  c->state = STATEMENT_RUNNING;
  if (timeout_ms > 0) {
    if (!c->timer_started && pthread_create(&c->timer, NULL, timer_main, c) == 0) c->timer_started = 1;
    c->deadline_ms = mp_now_ms() + timeout_ms;
    pthread_cond_broadcast(&c->wake);
  }
  pthread_mutex_unlock(&c->lock);
}

static void end_statement(mcpk_connection *c) {
  pthread_mutex_lock(&c->lock);
  c->state = STATEMENT_IDLE;
  c->stmt = NULL;
  c->deadline_ms = 0;
  pthread_cond_broadcast(&c->wake);
  pthread_mutex_unlock(&c->lock);
}

/* Stops the driver producing more of a result the bridge no longer reads. */
static void stop_producing(mcpk_connection *c) {
  pthread_mutex_lock(&c->lock);
  cancel_locked(c);
  pthread_mutex_unlock(&c->lock);
}

/* A statement that returns no rows but a count (DML/DDL without RETURNING): it
 * runs as an "execute update" (no result stream) so the driver reports the
 * rows it changed, which drivers do not do for a result stream. */
static int is_update_statement(const char *sql) {
  static const char *verbs[] = {"INSERT", "UPDATE", "DELETE", "MERGE", "CREATE", "DROP", "ALTER", "TRUNCATE",
                                "GRANT", "REVOKE", "COMMENT", "REPLACE", "UPSERT"};
  const char *p = sql;
  for (;;) { /* skip blanks and comments */
    while (*p && isspace((unsigned char)*p)) p++;
    if (p[0] == '-' && p[1] == '-') { while (*p && *p != '\n') p++; continue; }
    if (p[0] == '/' && p[1] == '*') { const char *e = strstr(p + 2, "*/"); p = e ? e + 2 : p + strlen(p); continue; }
    break;
  }
  size_t n = 0;
  while (isalpha((unsigned char)p[n])) n++;
  int verb = 0;
  for (size_t i = 0; i < sizeof verbs / sizeof verbs[0] && !verb; i++)
    verb = strlen(verbs[i]) == n && strncasecmp(p, verbs[i], n) == 0;
  return verb && !strcasestr(p, "RETURNING");
}

static mcpk_status run_statement(mcpk_connection *c, const mcpk_query *q, const mcpk_row_sink *sink, mcpk_error *err) {
  const struct AdbcDriver *d = &c->driver->table;
  atomic_store(&c->cancelled, 0);
  atomic_store(&c->timed_out, 0);
  struct AdbcStatement stmt;
  memset(&stmt, 0, sizeof stmt);
  struct AdbcError e;
  adbc_error_init(c->driver, &e);
  AdbcStatusCode rc = d->StatementNew(&c->conn, &stmt, &e);
  if (rc != ADBC_STATUS_OK) return from_adbc(err, rc, &e, "AdbcStatementNew failed");
  adbc_error_release(&e);
  mcpk_status st = MCPK_STATUS_OK;
  struct ArrowArrayStream stream;
  memset(&stream, 0, sizeof stream);
  struct ArrowSchema schema;
  memset(&schema, 0, sizeof schema);
  struct ArrowArray batch;
  memset(&batch, 0, sizeof batch);
  arrow_column *cols = NULL;
  mcpk_column *hcols = NULL;
  mcpk_value *cells = NULL;
  int64_t ncols = 0;
  const char *k;
  json_t *v;
  char buf[64];
  json_object_foreach(c->statement_options, k, v) {
    adbc_error_init(c->driver, &e);
    rc = d->StatementSetOption(&stmt, k, scalar_text(v, buf, sizeof buf), &e);
    if (rc != ADBC_STATUS_OK) {
      char what[256];
      snprintf(what, sizeof what, "statement option '%.200s' refused", k);
      st = from_adbc(err, rc, &e, what);
      goto done;
    }
    adbc_error_release(&e);
  }
  adbc_error_init(c->driver, &e);
  rc = d->StatementSetSqlQuery(&stmt, q->sql, &e);
  if (rc != ADBC_STATUS_OK) { st = from_adbc(err, rc, &e, "the statement was refused"); goto done; }
  adbc_error_release(&e);
  if (q->param_count > 0) {
    struct ArrowSchema ps;
    struct ArrowArray pa;
    if (build_params(q, &ps, &pa) != 0) {
      if (ps.release) ps.release(&ps);
      if (pa.release) pa.release(&pa);
      st = MCPK_STATUS_NO_MEMORY;
      goto done;
    }
    adbc_error_init(c->driver, &e);
    rc = d->StatementBind(&stmt, &pa, &ps, &e);
    /* Bind takes ownership on success; what is left is ours to release. */
    if (ps.release) ps.release(&ps);
    if (pa.release) pa.release(&pa);
    if (rc != ADBC_STATUS_OK) { st = from_adbc(err, rc, &e, "cannot bind the parameters"); goto done; }
    adbc_error_release(&e);
  }
  begin_statement(c, &stmt, q->timeout_ms);
  int64_t affected = -1;
  int update = is_update_statement(q->sql);
  adbc_error_init(c->driver, &e);
  rc = d->StatementExecuteQuery(&stmt, update ? NULL : &stream, &affected, &e);
  if (rc != ADBC_STATUS_OK) {
    st = from_adbc(err, rc, &e, "query failed");
    if (atomic_load(&c->cancelled)) st = stopped_error(c, q, err);
    goto done;
  }
  adbc_error_release(&e);
  if (update) {
    end_statement(c);
    st = sink->columns(sink->sink_data, NULL, 0);
    if (st == MCPK_STATUS_OK) st = sink->end(sink->sink_data, 0, affected);
    goto done;
  }
  int code = stream.get_schema(&stream, &schema);
  if (code != 0) { st = stream_error(c, &stream, code, err, "cannot read the result schema"); goto done; }
  ncols = schema.n_children;
  cols = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *cols);
  hcols = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *hcols);
  cells = calloc((size_t)(ncols > 0 ? ncols : 1), sizeof *cells);
  if (!cols || !hcols || !cells) { st = MCPK_STATUS_NO_MEMORY; goto done; }
  for (int64_t i = 0; i < ncols; i++) {
    char msg[256];
    if (arrow_column_init(&cols[i], schema.children[i], msg, sizeof msg) != 0) {
      st = set_error(err, MCPK_STATUS_NOT_IMPLEMENTED, NULL, 0, "column %" PRId64 " (%s): %s", i + 1,
                     schema.children[i]->name ? schema.children[i]->name : "", msg);
      ncols = i;
      goto done;
    }
    hcols[i].name = schema.children[i]->name ? schema.children[i]->name : "";
    hcols[i].type = cols[i].mcpk_type;
    hcols[i].type_name = cols[i].type_name;
  }
  st = sink->columns(sink->sink_data, hcols, (size_t)ncols);
  int64_t delivered = 0;
  int truncated = 0, stopped = 0;
  while (st == MCPK_STATUS_OK) {
    if (atomic_load(&c->cancelled)) {
      st = stopped_error(c, q, err);
      break;
    }
    code = stream.get_next(&stream, &batch);
    if (code != 0) {
      st = stream_error(c, &stream, code, err, "reading the result failed");
      if (atomic_load(&c->cancelled)) st = stopped_error(c, q, err);
      break;
    }
    if (!batch.release) break; /* end of stream */
    if (batch.n_children != ncols) {
      st = set_error(err, MCPK_STATUS_INTERNAL, NULL, 0, "driver returned a batch of %" PRId64 " columns for a schema of %" PRId64,
                     batch.n_children, ncols);
      break;
    }
    for (int64_t r = 0; r < batch.length && st == MCPK_STATUS_OK; r++) {
      if (q->max_rows >= 0 && delivered >= q->max_rows) { truncated = 1; break; }
      for (int64_t i = 0; i < ncols; i++) {
        char msg[256];
        if (arrow_cell(&cols[i], batch.children[i], batch.offset + r, &cells[i], msg, sizeof msg) != 0) {
          st = set_error(err, MCPK_STATUS_INTERNAL, NULL, 0, "column %s: %s", hcols[i].name, msg);
          break;
        }
      }
      if (st == MCPK_STATUS_OK) st = sink->row(sink->sink_data, cells, (size_t)ncols);
      delivered++;
    }
    batch.release(&batch);
    memset(&batch, 0, sizeof batch);
    if (truncated) break;
  }
  if (st != MCPK_STATUS_OK || truncated) stopped = 1;
  if (stopped && !atomic_load(&c->cancelled)) stop_producing(c);
  if (stream.release) { stream.release(&stream); memset(&stream, 0, sizeof stream); }
  end_statement(c);
  if (st == MCPK_STATUS_OK) st = sink->end(sink->sink_data, truncated, ncols == 0 ? affected : -1);
done:
  end_statement(c);
  if (batch.release) batch.release(&batch);
  if (stream.release) stream.release(&stream);
  for (int64_t i = 0; i < ncols && cols; i++) arrow_column_free(&cols[i]);
  free(cols);
  free(hcols);
  free(cells);
  if (schema.release) schema.release(&schema);
  adbc_error_init(c->driver, &e);
  d->StatementRelease(&stmt, &e);
  adbc_error_release(&e);
  return st;
}

typedef struct count_sink { int64_t rows; } count_sink;
static mcpk_status cs_columns(void *d, const mcpk_column *c, size_t n) { (void)d; (void)c; (void)n; return MCPK_STATUS_OK; }
static mcpk_status cs_row(void *d, const mcpk_value *c, size_t n) { (void)c; (void)n; ((count_sink *)d)->rows++; return MCPK_STATUS_OK; }
static mcpk_status cs_end(void *d, int32_t t, int64_t a) { (void)d; (void)t; (void)a; return MCPK_STATUS_OK; }

static mcpk_status run_internal(mcpk_connection *c, const char *sql, mcpk_error *err) {
  count_sink cs = {0};
  mcpk_row_sink sink = {sizeof(mcpk_row_sink), &cs, cs_columns, cs_row, cs_end};
  mcpk_query q;
  memset(&q, 0, sizeof q);
  q.struct_size = sizeof q;
  q.sql = sql;
  q.params_json = "[]";
  q.max_rows = 1;
  return run_statement(c, &q, &sink, err);
}

/* In read-only mode a source's refusal to write is FORBIDDEN (25006) whatever status the driver chose. */
static mcpk_status read_only_refusal(mcpk_status st, mcpk_error *err) {
  if (st == MCPK_STATUS_OK || st == MCPK_STATUS_FORBIDDEN || !err->message) return st;
  if (strstr(err->message, "readonly") || strstr(err->message, "read-only") || strncmp(err->sqlstate, "25006", 5) == 0) {
    char *m = strdup(err->message);
    set_error(err, MCPK_STATUS_FORBIDDEN, "25006", err->vendor_code, "read-only connection: %s", m ? m : "write refused");
    free(m);
    return MCPK_STATUS_FORBIDDEN;
  }
  return st;
}

static mcpk_status a_execute(mcpk_connection *c, const mcpk_query *q, const mcpk_row_sink *sink, mcpk_error *err) {
  if (!c->rollback_each) return run_statement(c, q, sink, err);
  mcpk_status st = run_internal(c, c->read_only_sql, err);
  if (st == MCPK_STATUS_OK) st = read_only_refusal(run_statement(c, q, sink, err), err);
  mcpk_error rerr = {0};
  mcpk_status rst = rollback(c, &rerr);
  if (st == MCPK_STATUS_OK && rst != MCPK_STATUS_OK) {
    if (err->release) err->release(err);
    *err = rerr;
    return rst;
  }
  if (rerr.release) rerr.release(&rerr);
  return st;
}

/* ---- test ------------------------------------------------------------------------ */

/* Reads one string-valued info code from AdbcConnectionGetInfo's dense-union result. */
static void info_strings(mcpk_connection *c, char *vendor, size_t vlen, char *driver, size_t dlen) {
  uint32_t codes[4] = {ADBC_INFO_VENDOR_NAME, ADBC_INFO_VENDOR_VERSION, ADBC_INFO_DRIVER_NAME, ADBC_INFO_DRIVER_VERSION};
  char values[4][128] = {"", "", "", ""};
  struct ArrowArrayStream s;
  memset(&s, 0, sizeof s);
  struct AdbcError e;
  adbc_error_init(c->driver, &e);
  if (c->driver->table.ConnectionGetInfo(&c->conn, codes, 4, &s, &e) == ADBC_STATUS_OK) {
    struct ArrowSchema sc;
    memset(&sc, 0, sizeof sc);
    if (s.get_schema(&s, &sc) == 0 && sc.n_children == 2) {
      struct ArrowArray b;
      while (memset(&b, 0, sizeof b), s.get_next(&s, &b) == 0 && b.release) {
        const struct ArrowArray *names = b.children[0], *un = b.children[1];
        const struct ArrowSchema *us = sc.children[1];
        for (int64_t r = 0; r < b.length; r++) {
          int64_t code = -1;
          if (arrow_get_int(sc.children[0], names, r, &code) != 0) continue;
          int64_t p = un->offset + r;
          int8_t tid = ((const int8_t *)un->buffers[0])[p];
          int32_t off = ((const int32_t *)un->buffers[1])[p];
          /* a dense union has no validity buffer: buffers[0] type ids, buffers[1] offsets;
             type ids are listed in the format "+ud:0,1,…"; child index = position */
          int child = -1, pos = 0;
          for (const char *f = strchr(us->format, ':'); f && *f; pos++) {
            f++;
            if (atoi(f) == tid) { child = pos; break; }
            f = strchr(f, ',');
          }
          if (child < 0 || child >= us->n_children) continue;
          const char *str;
          size_t len;
          if (arrow_get_string(us->children[child], un->children[child], off, &str, &len) != 0) continue;
          for (int i = 0; i < 4; i++)
            if (codes[i] == (uint32_t)code) snprintf(values[i], sizeof values[i], "%.*s", (int)len, str);
        }
        b.release(&b);
      }
    }
    if (sc.release) sc.release(&sc);
    if (s.release) s.release(&s);
  }
  adbc_error_release(&e);
  snprintf(vendor, vlen, "%s%s%s", values[0], values[1][0] ? " " : "", values[1]);
  snprintf(driver, dlen, "%s%s%s", values[2], values[3][0] ? " " : "", values[3]);
}

static mcpk_status a_test(mcpk_connection *c, mcpk_string *version, mcpk_error *err) {
  mcpk_status st = run_internal(c, c->test_sql, err);
  if (st == MCPK_STATUS_OK && c->rollback_each) st = rollback(c, err);
  if (st != MCPK_STATUS_OK) return st;
  char vendor[300], driver[300], text[700];
  info_strings(c, vendor, sizeof vendor, driver, sizeof driver);
  snprintf(text, sizeof text, "%s (%s, ADBC API %s)", vendor[0] ? vendor : "unknown server",
           driver[0] ? driver : "driver", c->driver->version >= ADBC_VERSION_1_1_0 ? "1.1.0" : "1.0.0");
  mp_put_string(version, text, strlen(text));
  return MCPK_STATUS_OK;
}

/* ---- scan ------------------------------------------------------------------------- */

static mcpk_status a_scan(mcpk_connection *c, const mcpk_scan_args *a, mcpk_string *out, mcpk_error *err) {
  char *json = NULL;
  mcpk_status st = mcpk_adbc_scan(&c->driver->table, c->driver->version, &c->conn, a, &json, err);
  if (st != MCPK_STATUS_OK) return st;
  mp_put_string(out, json, strlen(json));
  free(json);
  return out->data ? MCPK_STATUS_OK : MCPK_STATUS_NO_MEMORY;
}

/* ---- plugin ------------------------------------------------------------------------ */

static const mcpk_connector connector = {
  sizeof(mcpk_connector), a_open, a_close, a_test, a_execute, a_cancel, a_scan,
};

static const char *SCHEMA =
  "{\"type\":\"object\",\"required\":[\"driver\"],\"properties\":{"
  "\"driver\":{\"type\":\"string\",\"description\":\"Path of the ADBC driver shared library (plugin.list shows discovered ones)\"},"
  "\"entrypoint\":{\"type\":\"string\",\"description\":\"Init symbol; default AdbcDriverInit, then AdbcDriver<Name>Init\"},"
  "\"uri\":{\"type\":\"string\",\"description\":\"The driver's uri option\"},"
  "\"username\":{\"type\":\"string\"},"
  "\"secret_option\":{\"type\":\"string\",\"default\":\"password\",\"description\":\"Database option that receives the connection's secret\"},"
  "\"database_options\":{\"type\":\"object\",\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]}},"
  "\"connection_options\":{\"type\":\"object\",\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]}},"
  "\"statement_options\":{\"type\":\"object\",\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"]}},"
  "\"read_only\":{\"type\":\"boolean\",\"default\":false},"
  "\"read_only_sql\":{\"type\":\"string\",\"description\":\"Opens each read-only transaction when the driver lacks adbc.connection.readonly\"},"
  "\"test_sql\":{\"type\":\"string\",\"default\":\"SELECT 1\"}}}";

MCPK_EXPORT mcpk_status mcpk_plugin_init(uint32_t host_abi, const mcpk_host *h, mcpk_plugin *out, size_t out_size,
                                         mcpk_error *err) {
  (void)err;
  if (host_abi != MCPK_ABI_VERSION_1_1_0 && host_abi != MCPK_ABI_VERSION_1_0_0) return MCPK_STATUS_NOT_IMPLEMENTED;
  if (out_size < MCPK_PLUGIN_SIZE_1_0_0) return MCPK_STATUS_INVALID_ARGUMENT;
  host = h;
  mp_describe_connector(out, host_abi, "adbc", "Any ADBC driver (Arrow Database Connectivity) as a connector", SCHEMA, &connector);
  return MCPK_STATUS_OK;
}
