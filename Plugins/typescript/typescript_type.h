/* The "TypeScript Script" component type as the typescript plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_TYPESCRIPT_TYPE_H
#define MCPK_TYPESCRIPT_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

static const char typescript_config_schema[] =
    MX_SCHEMA_OPEN("TypeScript Script", "A sandboxed TypeScript script that exports `main(inputs)` and returns the result.")
    MX_SCHEMA_CODE_CONTENT("TypeScript source code.") ","
    MX_SCHEMA_SCRIPT_FIELDS ","
    MX_SCHEMA_CLOSE(MX_SCHEMA_ALSO_REQUIRED("codeContent"), "");

static const char *const typescript_secret_fields[] = {"secrets"};
static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "TypeScript Script", "A sandboxed TypeScript script that exports `main(inputs)` and returns the result.", typescript_config_schema, typescript_secret_fields, 1, MCPK_EXECUTION_SANDBOX},
};

#endif
