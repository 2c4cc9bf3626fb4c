/* The "MCP" component type as the mcp plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_MCP_TYPE_H
#define MCPK_MCP_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

static const char mcp_config_schema[] =
    MX_SCHEMA_OPEN("MCP", "Starts an MCP server from its configuration and calls one tool.")
    "  \"mcpConfiguration\": {"
    "   \"type\": \"string\","
    "   \"title\": \"MCP Configuration\","
    "   \"description\": \"JSON or YAML with `command`, `args` and `env` of the server.\","
    "   \"contentMediaType\": \"application/yaml\","
    "   \"x-mcpk-format\": \"mcp-configuration\""
    "  },"
    "  \"tool\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Tool\","
    "   \"description\": \"Name of the tool to call.\","
    "   \"minLength\": 1"
    "  },"
    "  \"arguments\": {"
    "   \"type\": \"object\","
    "   \"title\": \"Arguments\","
    "   \"description\": \"Default tool arguments (step inputs are merged over them).\","
    "   \"default\": {}"
    "  },"
    MX_SCHEMA_CLOSE(MX_SCHEMA_ALSO_REQUIRED("mcpConfiguration") MX_SCHEMA_ALSO_REQUIRED("tool"), "");

static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "MCP", "Starts an MCP server from its configuration and calls one tool.", mcp_config_schema, NULL, 0, MCPK_EXECUTION_SANDBOX},
};

#endif
