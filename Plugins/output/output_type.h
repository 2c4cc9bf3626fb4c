/* The "Output" component type as the output plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_OUTPUT_TYPE_H
#define MCPK_OUTPUT_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

static const char output_config_schema[] =
    MX_SCHEMA_OPEN("Output", "Writes its inputs as a named artifact of the run.")
    "  \"format\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Format\","
    "   \"description\": \"Artifact format.\","
    "   \"default\": \"json\","
    "   \"enum\": ["
    "    \"json\","
    "    \"csv\","
    "    \"text\""
    "   ]"
    "  },"
    "  \"name\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Name\","
    "   \"description\": \"Artifact name.\","
    "   \"default\": \"output\","
    "   \"minLength\": 1,"
    "   \"maxLength\": 200"
    "  },"
    MX_SCHEMA_CLOSE("", "");

static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "Output", "Writes its inputs as a named artifact of the run.", output_config_schema, NULL, 0, MCPK_EXECUTION_IN_PROCESS},
};

#endif
