/* JSON Schema fragments that several bundled component types declare the same way
 * (ABI 1.2.0 type declarations, Plugins/<name>/<name>_type.h): one home for each, so a
 * change of a shared field (its bounds, its description) or of the schema's frame is
 * made once. A field macro is one `"name": {…}` member of a schema's "properties"
 * object, as adjacent C string literals without a trailing comma; MX_SCHEMA_OPEN and
 * MX_SCHEMA_CLOSE are the frame every bundled type's schema has. */
#ifndef MCPK_SCHEMA_FIELDS_H
#define MCPK_SCHEMA_FIELDS_H

/* ---- the frame ---------------------------------------------------------- */

/** Opens a type's config schema: its title and description, an object whose first
 * property is the `type` constant (the type's name, TITLE). Its own fields follow, each
 * ending with a comma. */
#define MX_SCHEMA_OPEN(TITLE, DESCRIPTION) \
    "{" \
    " \"title\": \"" TITLE "\"," \
    " \"description\": \"" DESCRIPTION "\"," \
    " \"type\": \"object\"," \
    " \"properties\": {" \
    "  \"type\": {" \
    "   \"const\": \"" TITLE "\"," \
    "   \"title\": \"Type\"" \
    "  },"

/** Closes a type's config schema: the `maxResultBytes` field (every bundled type's last),
 * `type` and REQUIRED (MX_SCHEMA_ALSO_REQUIRED members, or nothing) required, no other
 * properties, then RULES (MX_SCHEMA_EITHER, or `,`-led keywords of the type, or nothing). */
#define MX_SCHEMA_CLOSE(REQUIRED, RULES) \
    MX_SCHEMA_MAX_RESULT_BYTES \
    " }," \
    " \"required\": [\"type\"" REQUIRED "]," \
    " \"additionalProperties\": false" RULES \
    "}"

/** One more required member for MX_SCHEMA_CLOSE's REQUIRED. */
#define MX_SCHEMA_ALSO_REQUIRED(NAME) ", \"" NAME "\""

/** For MX_SCHEMA_CLOSE's RULES: at least one of the members A and B is given. */
#define MX_SCHEMA_EITHER(A, B) ", \"anyOf\": [{\"required\": [\"" A "\"]}, {\"required\": [\"" B "\"]}]"

/* ---- fields ------------------------------------------------------------- */

/** The `codeContent` field (the source, up to 4 MiB); DESCRIPTION says what it holds. */
#define MX_SCHEMA_CODE_CONTENT(DESCRIPTION) \
    "  \"codeContent\": {" \
    "   \"type\": \"string\"," \
    "   \"title\": \"Code Content\"," \
    "   \"description\": \"" DESCRIPTION "\"," \
    "   \"minLength\": 1," \
    "   \"maxLength\": 4194304" \
    "  }"

/** The fields of a script type after its code (Python Script, TypeScript Script):
 * requirements, network, the limits, connections. */
#define MX_SCHEMA_SCRIPT_FIELDS \
    MX_SCHEMA_REQUIREMENTS "," \
    MX_SCHEMA_NETWORK "," \
    MX_SCHEMA_TIMEOUT_SECONDS "," \
    MX_SCHEMA_MEMORY_MB "," \
    MX_SCHEMA_CONNECTIONS

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
