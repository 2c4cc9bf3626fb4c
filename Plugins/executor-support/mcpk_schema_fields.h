/* JSON Schema fragments of config fields that several bundled component types declare
 * the same way (ABI 1.2.0 type declarations, Plugins/<name>/<name>_type.h): one home
 * for each, so a change of a shared field (its bounds, its description) is made once.
 * Each macro is one `"name": {…}` member of a schema's "properties" object, as adjacent
 * C string literals without a trailing comma. */
#ifndef MCPK_SCHEMA_FIELDS_H
#define MCPK_SCHEMA_FIELDS_H

/** The `connections` field. */
#define MX_SCHEMA_CONNECTIONS \
    "  \"connections\": {" \
    "   \"type\": \"array\"," \
    "   \"items\": {" \
    "    \"type\": \"string\"" \
    "   }," \
    "   \"title\": \"Connections\"," \
    "   \"description\": \"Names of the external database connections the code may query through the kernel.\"" \
    "  }"

/** The `maxResultBytes` field. */
#define MX_SCHEMA_MAX_RESULT_BYTES \
    "  \"maxResultBytes\": {" \
    "   \"type\": \"integer\"," \
    "   \"title\": \"Max Result Bytes\"," \
    "   \"description\": \"Largest result (JSON text, bytes) a step of this component may return; larger fails the step.\"," \
    "   \"exclusiveMinimum\": 0" \
    "  }"

/** The `memoryMb` field. */
#define MX_SCHEMA_MEMORY_MB \
    "  \"memoryMb\": {" \
    "   \"type\": \"integer\"," \
    "   \"title\": \"Memory MB\"," \
    "   \"description\": \"Memory limit in MiB.\"," \
    "   \"maximum\": 1048576," \
    "   \"exclusiveMinimum\": 0" \
    "  }"

/** The `network` field. */
#define MX_SCHEMA_NETWORK \
    "  \"network\": {" \
    "   \"type\": \"boolean\"," \
    "   \"title\": \"Network\"," \
    "   \"description\": \"Allow network access from the sandbox.\"," \
    "   \"default\": false" \
    "  }"

/** The `requirements` field. */
#define MX_SCHEMA_REQUIREMENTS \
    "  \"requirements\": {" \
    "   \"type\": \"array\"," \
    "   \"items\": {" \
    "    \"type\": \"string\"" \
    "   }," \
    "   \"title\": \"Requirements\"," \
    "   \"description\": \"Packages to install before running (pip / npm specifiers).\"" \
    "  }"

/** The `timeoutSeconds` field. */
#define MX_SCHEMA_TIMEOUT_SECONDS \
    "  \"timeoutSeconds\": {" \
    "   \"type\": \"number\"," \
    "   \"title\": \"Timeout Seconds\"," \
    "   \"description\": \"Wall-clock limit for one run.\"," \
    "   \"maximum\": 604800," \
    "   \"exclusiveMinimum\": 0" \
    "  }"

#endif
