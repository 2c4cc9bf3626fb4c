/* The "Python Script" component type as the python plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_PYTHON_TYPE_H
#define MCPK_PYTHON_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

static const char python_config_schema[] =
    MX_SCHEMA_OPEN("Python Script", "A sandboxed Python script that defines `main(**inputs)` and returns the result.")
    MX_SCHEMA_CODE_CONTENT("Python source code.") ","
    MX_SCHEMA_SCRIPT_FIELDS ","
    MX_SCHEMA_CLOSE(MX_SCHEMA_ALSO_REQUIRED("codeContent"), "");

static const char *const python_secret_fields[] = {"secrets"};
static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "Python Script", "A sandboxed Python script that defines `main(**inputs)` and returns the result.", python_config_schema, python_secret_fields, 1, MCPK_EXECUTION_SANDBOX},
};

#endif
