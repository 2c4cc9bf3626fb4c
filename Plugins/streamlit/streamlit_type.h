/* The "Streamlit App" component type as the streamlit plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_STREAMLIT_TYPE_H
#define MCPK_STREAMLIT_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

static const char streamlit_config_schema[] =
    MX_SCHEMA_OPEN("Streamlit App", "A Streamlit app started as a service step that reports its URL once healthy.")
    "  \"gitRepoUrl\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Git Repo URL\","
    "   \"description\": \"Repository to clone (https://, http:// or git://); cached by URL and ref.\","
    "   \"format\": \"uri\","
    "   \"x-mcpk-format\": \"git-url\""
    "  },"
    "  \"gitRef\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Git Ref\","
    "   \"description\": \"Branch or tag of gitRepoUrl to check out (default: the remote's default branch).\","
    "   \"x-mcpk-format\": \"git-ref\""
    "  },"
    MX_SCHEMA_CODE_CONTENT("App source (alternative to gitRepoUrl).") ","
    "  \"mainScriptPath\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Main Script Path\","
    "   \"description\": \"Entry script inside the repository (relative, no '..').\","
    "   \"default\": \"app.py\","
    "   \"minLength\": 1,"
    "   \"x-mcpk-format\": \"relative-path\""
    "  },"
    MX_SCHEMA_REQUIREMENTS ","
    "  \"port\": {"
    "   \"type\": \"integer\","
    "   \"title\": \"Port\","
    "   \"description\": \"Port to listen on (a free one if unset).\","
    "   \"minimum\": 1,"
    "   \"maximum\": 65535"
    "  },"
    "  \"ttlSeconds\": {"
    "   \"type\": \"integer\","
    "   \"title\": \"TTL Seconds\","
    "   \"description\": \"How long the app stays up once healthy unless its run is cancelled first (default 3600).\","
    "   \"maximum\": 604800,"
    "   \"exclusiveMinimum\": 0"
    "  },"
    MX_SCHEMA_CLOSE("", MX_SCHEMA_EITHER("gitRepoUrl", "codeContent"));

static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "Streamlit App", "A Streamlit app started as a service step that reports its URL once healthy.", streamlit_config_schema, NULL, 0, MCPK_EXECUTION_SANDBOX},
};

#endif
