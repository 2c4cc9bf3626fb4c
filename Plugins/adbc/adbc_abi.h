/*
 * adbc_abi.h: the parts of the Arrow C data / C stream interfaces and of the
 * ADBC 1.0.0 / 1.1.0 driver ABI that the bridge uses, declared here from the
 * published specifications (both are stable C ABIs: member order and types
 * are fixed; new members are only appended). No third-party header is copied
 * or needed at build time; see docs/ARCHITECTURE.md ("ADBC bridge").
 *
 *   Arrow C data interface: https://arrow.apache.org/docs/format/CDataInterface.html
 *   Arrow C stream interface: https://arrow.apache.org/docs/format/CStreamInterface.html
 *   ADBC: https://arrow.apache.org/adbc/ (API revisions 1.0.0 and 1.1.0)
 */
#ifndef MCPK_ADBC_ABI_H
#define MCPK_ADBC_ABI_H

#include <stddef.h>
#include <stdint.h>

/* ---- Arrow C data interface ---------------------------------------------- */

#define MCPK_ARROW_FLAG_DICTIONARY_ORDERED 1
#define MCPK_ARROW_FLAG_NULLABLE 2
#define MCPK_ARROW_FLAG_MAP_KEYS_SORTED 4

struct ArrowSchema {
  const char *format;
  const char *name;
  const char *metadata;
  int64_t flags;
  int64_t n_children;
  struct ArrowSchema **children;
  struct ArrowSchema *dictionary;
  void (*release)(struct ArrowSchema *);
  void *private_data;
};

struct ArrowArray {
  int64_t length;
  int64_t null_count;
  int64_t offset;
  int64_t n_buffers;
  int64_t n_children;
  const void **buffers;
  struct ArrowArray **children;
  struct ArrowArray *dictionary;
  void (*release)(struct ArrowArray *);
  void *private_data;
};

struct ArrowArrayStream {
  int (*get_schema)(struct ArrowArrayStream *, struct ArrowSchema *out);
  int (*get_next)(struct ArrowArrayStream *, struct ArrowArray *out);
  const char *(*get_last_error)(struct ArrowArrayStream *);
  void (*release)(struct ArrowArrayStream *);
  void *private_data;
};

/* ---- ADBC ------------------------------------------------------------------ */

typedef uint8_t AdbcStatusCode;

#define ADBC_STATUS_OK 0
#define ADBC_STATUS_UNKNOWN 1
#define ADBC_STATUS_NOT_IMPLEMENTED 2
#define ADBC_STATUS_NOT_FOUND 3
#define ADBC_STATUS_ALREADY_EXISTS 4
#define ADBC_STATUS_INVALID_ARGUMENT 5
#define ADBC_STATUS_INVALID_STATE 6
#define ADBC_STATUS_INVALID_DATA 7
#define ADBC_STATUS_INTEGRITY 8
#define ADBC_STATUS_INTERNAL 9
#define ADBC_STATUS_IO 10
#define ADBC_STATUS_CANCELLED 11
#define ADBC_STATUS_TIMEOUT 12
#define ADBC_STATUS_UNAUTHENTICATED 13
#define ADBC_STATUS_UNAUTHORIZED 14

/* A caller that sets vendor_code to this before a call tells a 1.1.0 driver it
 * may use the extended members (private_data, private_driver). */
#define ADBC_ERROR_VENDOR_CODE_PRIVATE_DATA INT32_MIN

#define ADBC_VERSION_1_0_0 1000000
#define ADBC_VERSION_1_1_0 1001000

#define ADBC_OBJECT_DEPTH_ALL 0
#define ADBC_OBJECT_DEPTH_CATALOGS 1
#define ADBC_OBJECT_DEPTH_DB_SCHEMAS 2
#define ADBC_OBJECT_DEPTH_TABLES 3

#define ADBC_INFO_VENDOR_NAME 0
#define ADBC_INFO_VENDOR_VERSION 1
#define ADBC_INFO_DRIVER_NAME 100
#define ADBC_INFO_DRIVER_VERSION 101

struct AdbcDriver;

struct AdbcError {
  char *message;
  int32_t vendor_code;
  char sqlstate[5];
  void (*release)(struct AdbcError *error);
  /* 1.1.0, only when vendor_code == ADBC_ERROR_VENDOR_CODE_PRIVATE_DATA */
  void *private_data;
  struct AdbcDriver *private_driver;
};

struct AdbcErrorDetail {
  const char *key;
  const uint8_t *value;
  size_t value_length;
};

struct AdbcDatabase { void *private_data; struct AdbcDriver *private_driver; };
struct AdbcConnection { void *private_data; struct AdbcDriver *private_driver; };
struct AdbcStatement { void *private_data; struct AdbcDriver *private_driver; };
struct AdbcPartitions;

#define ADBC_FN(name, ...) AdbcStatusCode (*name)(__VA_ARGS__)

struct AdbcDriver {
  void *private_data;
  void *private_manager;
  ADBC_FN(release, struct AdbcDriver *, struct AdbcError *);

  ADBC_FN(DatabaseInit, struct AdbcDatabase *, struct AdbcError *);
  ADBC_FN(DatabaseNew, struct AdbcDatabase *, struct AdbcError *);
  ADBC_FN(DatabaseSetOption, struct AdbcDatabase *, const char *, const char *, struct AdbcError *);
  ADBC_FN(DatabaseRelease, struct AdbcDatabase *, struct AdbcError *);

  ADBC_FN(ConnectionCommit, struct AdbcConnection *, struct AdbcError *);
  ADBC_FN(ConnectionGetInfo, struct AdbcConnection *, const uint32_t *, size_t, struct ArrowArrayStream *,
          struct AdbcError *);
  ADBC_FN(ConnectionGetObjects, struct AdbcConnection *, int, const char *, const char *, const char *,
          const char **, const char *, struct ArrowArrayStream *, struct AdbcError *);
  ADBC_FN(ConnectionGetTableSchema, struct AdbcConnection *, const char *, const char *, const char *,
          struct ArrowSchema *, struct AdbcError *);
  ADBC_FN(ConnectionGetTableTypes, struct AdbcConnection *, struct ArrowArrayStream *, struct AdbcError *);
  ADBC_FN(ConnectionInit, struct AdbcConnection *, struct AdbcDatabase *, struct AdbcError *);
  ADBC_FN(ConnectionNew, struct AdbcConnection *, struct AdbcError *);
  ADBC_FN(ConnectionSetOption, struct AdbcConnection *, const char *, const char *, struct AdbcError *);
  ADBC_FN(ConnectionReadPartition, struct AdbcConnection *, const uint8_t *, size_t, struct ArrowArrayStream *,
          struct AdbcError *);
  ADBC_FN(ConnectionRelease, struct AdbcConnection *, struct AdbcError *);
  ADBC_FN(ConnectionRollback, struct AdbcConnection *, struct AdbcError *);

  ADBC_FN(StatementBind, struct AdbcStatement *, struct ArrowArray *, struct ArrowSchema *, struct AdbcError *);
  ADBC_FN(StatementBindStream, struct AdbcStatement *, struct ArrowArrayStream *, struct AdbcError *);
  ADBC_FN(StatementExecuteQuery, struct AdbcStatement *, struct ArrowArrayStream *, int64_t *, struct AdbcError *);
  ADBC_FN(StatementExecutePartitions, struct AdbcStatement *, struct ArrowSchema *, struct AdbcPartitions *,
          int64_t *, struct AdbcError *);
  ADBC_FN(StatementGetParameterSchema, struct AdbcStatement *, struct ArrowSchema *, struct AdbcError *);
  ADBC_FN(StatementNew, struct AdbcConnection *, struct AdbcStatement *, struct AdbcError *);
  ADBC_FN(StatementPrepare, struct AdbcStatement *, struct AdbcError *);
  ADBC_FN(StatementRelease, struct AdbcStatement *, struct AdbcError *);
  ADBC_FN(StatementSetOption, struct AdbcStatement *, const char *, const char *, struct AdbcError *);
  ADBC_FN(StatementSetSqlQuery, struct AdbcStatement *, const char *, struct AdbcError *);
  ADBC_FN(StatementSetSubstraitPlan, struct AdbcStatement *, const uint8_t *, size_t, struct AdbcError *);

  /* ---- 1.1.0: valid only when the driver accepted ADBC_VERSION_1_1_0 ---- */
  int (*ErrorGetDetailCount)(const struct AdbcError *);
  struct AdbcErrorDetail (*ErrorGetDetail)(const struct AdbcError *, int);
  const struct AdbcError *(*ErrorFromArrayStream)(struct ArrowArrayStream *, AdbcStatusCode *);

  ADBC_FN(DatabaseGetOption, struct AdbcDatabase *, const char *, char *, size_t *, struct AdbcError *);
  ADBC_FN(DatabaseGetOptionBytes, struct AdbcDatabase *, const char *, uint8_t *, size_t *, struct AdbcError *);
  ADBC_FN(DatabaseGetOptionDouble, struct AdbcDatabase *, const char *, double *, struct AdbcError *);
  ADBC_FN(DatabaseGetOptionInt, struct AdbcDatabase *, const char *, int64_t *, struct AdbcError *);
  ADBC_FN(DatabaseSetOptionBytes, struct AdbcDatabase *, const char *, const uint8_t *, size_t, struct AdbcError *);
  ADBC_FN(DatabaseSetOptionDouble, struct AdbcDatabase *, const char *, double, struct AdbcError *);
  ADBC_FN(DatabaseSetOptionInt, struct AdbcDatabase *, const char *, int64_t, struct AdbcError *);

  ADBC_FN(ConnectionCancel, struct AdbcConnection *, struct AdbcError *);
  ADBC_FN(ConnectionGetOption, struct AdbcConnection *, const char *, char *, size_t *, struct AdbcError *);
  ADBC_FN(ConnectionGetOptionBytes, struct AdbcConnection *, const char *, uint8_t *, size_t *, struct AdbcError *);
  ADBC_FN(ConnectionGetOptionDouble, struct AdbcConnection *, const char *, double *, struct AdbcError *);
  ADBC_FN(ConnectionGetOptionInt, struct AdbcConnection *, const char *, int64_t *, struct AdbcError *);
  ADBC_FN(ConnectionGetStatistics, struct AdbcConnection *, const char *, const char *, const char *, char,
          struct ArrowArrayStream *, struct AdbcError *);
  ADBC_FN(ConnectionGetStatisticNames, struct AdbcConnection *, struct ArrowArrayStream *, struct AdbcError *);
  ADBC_FN(ConnectionSetOptionBytes, struct AdbcConnection *, const char *, const uint8_t *, size_t,
          struct AdbcError *);
  ADBC_FN(ConnectionSetOptionDouble, struct AdbcConnection *, const char *, double, struct AdbcError *);
  ADBC_FN(ConnectionSetOptionInt, struct AdbcConnection *, const char *, int64_t, struct AdbcError *);

  ADBC_FN(StatementCancel, struct AdbcStatement *, struct AdbcError *);
  ADBC_FN(StatementExecuteSchema, struct AdbcStatement *, struct ArrowSchema *, struct AdbcError *);
  ADBC_FN(StatementGetOption, struct AdbcStatement *, const char *, char *, size_t *, struct AdbcError *);
  ADBC_FN(StatementGetOptionBytes, struct AdbcStatement *, const char *, uint8_t *, size_t *, struct AdbcError *);
  ADBC_FN(StatementGetOptionDouble, struct AdbcStatement *, const char *, double *, struct AdbcError *);
  ADBC_FN(StatementGetOptionInt, struct AdbcStatement *, const char *, int64_t *, struct AdbcError *);
  ADBC_FN(StatementSetOptionBytes, struct AdbcStatement *, const char *, const uint8_t *, size_t,
          struct AdbcError *);
  ADBC_FN(StatementSetOptionDouble, struct AdbcStatement *, const char *, double, struct AdbcError *);
  ADBC_FN(StatementSetOptionInt, struct AdbcStatement *, const char *, int64_t, struct AdbcError *);
};

#undef ADBC_FN

/* The 1.0.0 table ends where the 1.1.0 members begin. */
#define MCPK_ADBC_DRIVER_1_0_0_SIZE (offsetof(struct AdbcDriver, ErrorGetDetailCount))

typedef AdbcStatusCode (*AdbcDriverInitFunc)(int version, void *driver, struct AdbcError *error);

#endif /* MCPK_ADBC_ABI_H */
