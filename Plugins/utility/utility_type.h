/* The "Utility" component type as the utility plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_UTILITY_TYPE_H
#define MCPK_UTILITY_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

/* An `allOf` rule: when `operation` is OPERATION, the members REQUIRED (quoted, comma-separated) are required. */
#define UTILITY_REQUIRES(OPERATION, REQUIRED) \
    "{\"if\": {\"properties\": {\"operation\": {\"const\": \"" OPERATION "\"}}, \"required\": [\"operation\"]}," \
    " \"then\": {\"required\": [" REQUIRED "]}}"

static const char utility_config_schema[] =
    MX_SCHEMA_OPEN("Utility", "An in-kernel operation on the step inputs: merge objects, pick keys, render a template, or call a plugin operation.")
    "  \"operation\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Operation\","
    "   \"description\": \"The operation.\","
    "   \"enum\": ["
    "    \"merge\","
    "    \"pick\","
    "    \"template\","
    "    \"plugin\""
    "   ]"
    "  },"
    "  \"args\": {"
    "   \"title\": \"Args\","
    "   \"description\": \"Plugin operation arguments with `${inputs.x}` references: an array (positional) or an object (its values in order); empty: the inputs.\","
    "   \"default\": {},"
    "   \"x-mcpk-template\": true"
    "  },"
    "  \"keys\": {"
    "   \"title\": \"Keys\","
    "   \"description\": \"Names or dotted paths to keep, as an array, or an object result name → path (pick).\""
    "  },"
    "  \"template\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Template\","
    "   \"description\": \"Text with `${inputs.x}` placeholders (template).\","
    "   \"x-mcpk-template\": true"
    "  },"
    "  \"plugin\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Plugin\","
    "   \"description\": \"Plugin name (plugin).\","
    "   \"minLength\": 1"
    "  },"
    "  \"pluginOperation\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Plugin Operation\","
    "   \"description\": \"Exported plugin operation name (plugin).\","
    "   \"minLength\": 1"
    "  },"
    MX_SCHEMA_CLOSE(MX_SCHEMA_ALSO_REQUIRED("operation"), ",\"allOf\": ["
                    UTILITY_REQUIRES("pick", "\"keys\"") ","
                    UTILITY_REQUIRES("template", "\"template\"") ","
                    UTILITY_REQUIRES("plugin", "\"plugin\", \"pluginOperation\"")
                    "]");

static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "Utility", "An in-kernel operation on the step inputs: merge objects, pick keys, render a template, or call a plugin operation.", utility_config_schema, NULL, 0, MCPK_EXECUTION_IN_PROCESS, MCPK_TYPE_NO_WORK_DIR},
};

#endif
