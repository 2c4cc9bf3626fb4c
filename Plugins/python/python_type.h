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
    "{"
    " \"title\": \"Python Script\","
    " \"description\": \"A sandboxed Python script that defines `main(**inputs)` and returns the result.\","
    " \"type\": \"object\","
    " \"properties\": {"
    "  \"type\": {"
    "   \"const\": \"Python Script\","
    "   \"title\": \"Type\""
    "  },"
    "  \"codeContent\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Code Content\","
    "   \"description\": \"Python source code.\","
    "   \"minLength\": 1,"
    "   \"maxLength\": 4194304"
    "  },"
    MX_SCHEMA_REQUIREMENTS ","
    MX_SCHEMA_NETWORK ","
    MX_SCHEMA_TIMEOUT_SECONDS ","
    MX_SCHEMA_MEMORY_MB ","
    MX_SCHEMA_CONNECTIONS ","
    MX_SCHEMA_MAX_RESULT_BYTES
    " },"
    " \"required\": ["
    "  \"type\","
    "  \"codeContent\""
    " ],"
    " \"additionalProperties\": false"
    "}";

static const char *const python_secret_fields[] = {"secrets"};
static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "Python Script", "A sandboxed Python script that defines `main(**inputs)` and returns the result.", python_config_schema, python_secret_fields, 1, MCPK_EXECUTION_SANDBOX},
};

#endif
