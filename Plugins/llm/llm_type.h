/* The "LLM Prompt Agent" component type as the llm plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; this declaration is the
 * only source of the type (DeclaredSchemaParityTests holds it to the frozen
 * Tests/Fixtures/component-configs). Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_LLM_TYPE_H
#define MCPK_LLM_TYPE_H
#include <mcpk/plugin.h>
#include "mcpk_schema_fields.h"

static const char llm_config_schema[] =
    MX_SCHEMA_OPEN("LLM Prompt Agent", "Calls an OpenAI-compatible chat model with a system prompt and a templated user prompt.")
    "  \"model\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Model\","
    "   \"description\": \"Model name, e.g. gpt-4o-mini.\","
    "   \"minLength\": 1"
    "  },"
    "  \"systemPrompt\": {"
    "   \"type\": \"string\","
    "   \"title\": \"System Prompt\","
    "   \"description\": \"System prompt.\","
    "   \"x-mcpk-template\": true"
    "  },"
    "  \"userPromptTemplate\": {"
    "   \"type\": \"string\","
    "   \"title\": \"User Prompt Template\","
    "   \"description\": \"User prompt; `${inputs.x}` / `{{x}}` placeholders are filled from the step inputs.\","
    "   \"x-mcpk-template\": true"
    "  },"
    "  \"temperature\": {"
    "   \"type\": \"number\","
    "   \"title\": \"Temperature\","
    "   \"description\": \"Sampling temperature.\","
    "   \"default\": 0.7,"
    "   \"minimum\": 0,"
    "   \"maximum\": 2"
    "  },"
    "  \"maxTokens\": {"
    "   \"type\": \"integer\","
    "   \"title\": \"Max Tokens\","
    "   \"description\": \"Maximum tokens to generate.\","
    "   \"default\": 1024,"
    "   \"exclusiveMinimum\": 0"
    "  },"
    "  \"topP\": {"
    "   \"type\": \"number\","
    "   \"title\": \"Top P\","
    "   \"description\": \"Nucleus sampling mass.\","
    "   \"minimum\": 0,"
    "   \"maximum\": 1"
    "  },"
    "  \"topK\": {"
    "   \"type\": \"integer\","
    "   \"title\": \"Top K\","
    "   \"description\": \"Top-k sampling.\","
    "   \"exclusiveMinimum\": 0"
    "  },"
    "  \"endpoint\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Endpoint\","
    "   \"description\": \"Base URL of an OpenAI-compatible server (e.g. http://127.0.0.1:11434/v1).\","
    "   \"format\": \"uri\","
    "   \"x-mcpk-format\": \"http-url\""
    "  },"
    "  \"apiKeySecret\": {"
    "   \"type\": \"string\","
    "   \"title\": \"API Key Secret\","
    "   \"description\": \"Name of the sealed secret holding the API key.\","
    "   \"minLength\": 1"
    "  },"
    "  \"connection\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Connection\","
    "   \"description\": \"A connection whose scanned schema (tables, columns, types, keys) is given to the model.\","
    "   \"minLength\": 1"
    "  },"
    "  \"schemaTables\": {"
    "   \"type\": \"array\","
    "   \"items\": {"
    "    \"type\": \"string\""
    "   },"
    "   \"title\": \"Schema Tables\","
    "   \"description\": \"Tables (table or schema.table) described first when the schema exceeds the budget.\""
    "  },"
    "  \"schemaTokenBudget\": {"
    "   \"type\": \"integer\","
    "   \"title\": \"Schema Token Budget\","
    "   \"description\": \"Most tokens the schema description may take (default 2000).\","
    "   \"minimum\": 64,"
    "   \"maximum\": 32000"
    "  },"
    MX_SCHEMA_CLOSE(MX_SCHEMA_ALSO_REQUIRED("model"), "");

static const char *const llm_secret_fields[] = {"apiKey"};
static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "LLM Prompt Agent", "Calls an OpenAI-compatible chat model with a system prompt and a templated user prompt.", llm_config_schema, llm_secret_fields, 1, MCPK_EXECUTION_IN_PROCESS, MCPK_TYPE_NO_WORK_DIR},
};

#endif
