/* The "Data" component type as the data plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_DATA_TYPE_H
#define MCPK_DATA_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

static const char data_config_schema[] =
    MX_SCHEMA_OPEN("Data", "Runs SQL through an external database connection.")
    "  \"connection\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Connection\","
    "   \"description\": \"Connection id or name.\","
    "   \"minLength\": 1"
    "  },"
    "  \"query\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Query\","
    "   \"description\": \"SQL statement.\","
    "   \"minLength\": 1,"
    "   \"x-mcpk-template\": true"
    "  },"
    "  \"params\": {"
    "   \"type\": \"array\","
    "   \"items\": {},"
    "   \"title\": \"Params\","
    "   \"description\": \"Positional query parameters.\","
    "   \"default\": [],"
    "   \"x-mcpk-template\": true"
    "  },"
    "  \"maxRows\": {"
    "   \"type\": \"integer\","
    "   \"title\": \"Max Rows\","
    "   \"description\": \"Maximum rows returned.\","
    "   \"default\": 1000,"
    "   \"maximum\": 1000000,"
    "   \"exclusiveMinimum\": 0"
    "  },"
    "  \"resultFormat\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Result Format\","
    "   \"description\": \"rows (absent): the rows inline in the result; arrow: the rows streamed into an Arrow IPC stream artifact, the result referencing it.\","
    "   \"enum\": ["
    "    \"rows\","
    "    \"arrow\""
    "   ]"
    "  },"
    "  \"resultArtifact\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Result Artifact\","
    "   \"description\": \"Artifact file name for resultFormat arrow (letters, digits, '.', '-', '_'); default <step id>.arrows.\","
    "   \"minLength\": 1,"
    "   \"maxLength\": 200"
    "  },"
    MX_SCHEMA_CLOSE(MX_SCHEMA_ALSO_REQUIRED("connection") MX_SCHEMA_ALSO_REQUIRED("query"), "");

static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "Data", "Runs SQL through an external database connection.", data_config_schema, NULL, 0, MCPK_EXECUTION_IN_PROCESS},
};

#endif
