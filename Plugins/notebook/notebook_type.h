/* The "Jupyter Notebook" component type as the notebook plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_NOTEBOOK_TYPE_H
#define MCPK_NOTEBOOK_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

static const char notebook_config_schema[] =
    MX_SCHEMA_OPEN("Jupyter Notebook", "Executes a notebook with a papermill-style parameters cell; the executed .ipynb is kept as an artifact.")
    "  \"notebookCells\": {"
    "   \"type\": \"array\","
    "   \"items\": {"
    "    \"type\": \"object\","
    "    \"properties\": {"
    "     \"id\": {"
    "      \"type\": \"string\","
    "      \"title\": \"Id\","
    "      \"description\": \"Cell id.\","
    "      \"minLength\": 1"
    "     },"
    "     \"type\": {"
    "      \"type\": \"string\","
    "      \"title\": \"Type\","
    "      \"description\": \"Cell type.\","
    "      \"enum\": ["
    "       \"code\","
    "       \"markdown\""
    "      ]"
    "     },"
    "     \"content\": {"
    "      \"type\": \"string\","
    "      \"title\": \"Content\","
    "      \"description\": \"Cell source.\""
    "     },"
    "     \"tags\": {"
    "      \"type\": \"array\","
    "      \"items\": {"
    "       \"type\": \"string\""
    "      },"
    "      \"title\": \"Tags\","
    "      \"description\": \"Cell tags (`parameters` marks the parameters cell).\""
    "     }"
    "    },"
    "    \"required\": ["
    "     \"id\","
    "     \"type\","
    "     \"content\""
    "    ],"
    "    \"additionalProperties\": false"
    "   },"
    "   \"title\": \"Notebook Cells\","
    "   \"description\": \"The notebook's cells.\""
    "  },"
    "  \"notebookPathRef\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Notebook Path Ref\","
    "   \"description\": \"Path of an .ipynb file relative to the kernel's notebook root (MCPK_NOTEBOOK_DIR); alternative to notebookCells.\","
    "   \"minLength\": 1,"
    "   \"x-mcpk-format\": \"relative-path\""
    "  },"
    "  \"parameters\": {"
    "   \"type\": \"object\","
    "   \"title\": \"Parameters\","
    "   \"description\": \"Default parameters injected into the parameters cell.\","
    "   \"default\": {}"
    "  },"
    "  \"kernel\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Kernel\","
    "   \"description\": \"Jupyter kernel name.\","
    "   \"default\": \"python3\","
    "   \"minLength\": 1"
    "  },"
    MX_SCHEMA_CONNECTIONS ","
    MX_SCHEMA_CLOSE("", MX_SCHEMA_EITHER("notebookCells", "notebookPathRef"));

static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "Jupyter Notebook", "Executes a notebook with a papermill-style parameters cell; the executed .ipynb is kept as an artifact.", notebook_config_schema, NULL, 0, MCPK_EXECUTION_SANDBOX},
};

#endif
