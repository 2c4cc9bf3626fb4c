/*
 * adbc_bridge.h: what the bridge's files share (error conversion, the scan).
 */
#ifndef MCPK_ADBC_BRIDGE_H
#define MCPK_ADBC_BRIDGE_H

#include "adbc_abi.h"
#include "mcpk/plugin.h"

/** Fills `err` (releasing what it held) and returns `st`. */
mcpk_status mcpk_adbc_set_error(mcpk_error *err, mcpk_status st, const char *sqlstate, int32_t vendor, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/** Converts a failed ADBC call (status + AdbcError, consumed) into `err`:
 * "<what>: <driver message> (ADBC <STATUS>)", the SQLSTATE and vendor code. */
mcpk_status mcpk_adbc_from_error(mcpk_error *err, AdbcStatusCode code, struct AdbcError *e, const char *what);

/** Zeroes an AdbcError, marking it extended for a 1.1.0 driver. */
void mcpk_adbc_error_init(int driver_version, struct AdbcError *e);

/** Releases what a driver put into an AdbcError. */
void mcpk_adbc_error_release(struct AdbcError *e);

/** mcpk_connector.scan through AdbcConnectionGetObjects: `*out_json` (malloc'd) on OK. */
mcpk_status mcpk_adbc_scan(const struct AdbcDriver *d, int driver_version, struct AdbcConnection *conn,
                           const mcpk_scan_args *args, char **out_json, mcpk_error *err);

#endif /* MCPK_ADBC_BRIDGE_H */
