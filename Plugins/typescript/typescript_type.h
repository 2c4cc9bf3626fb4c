/* The "TypeScript Script" component type as the typescript plugin declares it (ABI 1.2.0,
 * mcpk_component_type): its config JSON Schema, the step inputs that are secrets,
 * and how its steps run. The kernel validates configs against this schema and the
 * console renders the type's form from it; BundledTypeSchemaTests checks it
 * against the kernel's built-in spec of the type. Fields marked x-mcpk-template
 * reach the plugin with their `${inputs…}` references resolved by the engine. */
#ifndef MCPK_TYPESCRIPT_TYPE_H
#define MCPK_TYPESCRIPT_TYPE_H
#include <mcpk/plugin.h>

static const char typescript_config_schema[] =
    "{"
    " \"title\": \"TypeScript Script\","
    " \"description\": \"A sandboxed TypeScript script that exports `main(inputs)` and returns the result.\","
    " \"type\": \"object\","
    " \"properties\": {"
    "  \"type\": {"
    "   \"const\": \"TypeScript Script\","
    "   \"title\": \"Type\""
    "  },"
    "  \"codeContent\": {"
    "   \"type\": \"string\","
    "   \"title\": \"Code Content\","
    "   \"description\": \"TypeScript source code.\","
    "   \"minLength\": 1,"
    "   \"maxLength\": 4194304"
    "  },"
    "  \"requirements\": {"
    "   \"type\": \"array\","
    "   \"items\": {"
    "    \"type\": \"string\""
    "   },"
    "   \"title\": \"Requirements\","
    "   \"description\": \"Packages to install before running (pip / npm specifiers).\""
    "  },"
    "  \"network\": {"
    "   \"type\": \"boolean\","
    "   \"title\": \"Network\","
    "   \"description\": \"Allow network access from the sandbox.\","
    "   \"default\": false"
    "  },"
    "  \"timeoutSeconds\": {"
    "   \"type\": \"number\","
    "   \"title\": \"Timeout Seconds\","
    "   \"description\": \"Wall-clock limit for one run.\","
    "   \"maximum\": 604800,"
    "   \"exclusiveMinimum\": 0"
    "  },"
    "  \"memoryMb\": {"
    "   \"type\": \"integer\","
    "   \"title\": \"Memory MB\","
    "   \"description\": \"Memory limit in MiB.\","
    "   \"maximum\": 1048576,"
    "   \"exclusiveMinimum\": 0"
    "  },"
    "  \"connections\": {"
    "   \"type\": \"array\","
    "   \"items\": {"
    "    \"type\": \"string\""
    "   },"
    "   \"title\": \"Connections\","
    "   \"description\": \"Names of the external database connections the code may query through the kernel.\""
    "  },"
    "  \"maxResultBytes\": {"
    "   \"type\": \"integer\","
    "   \"title\": \"Max Result Bytes\","
    "   \"description\": \"Largest result (JSON text, bytes) a step of this component may return; larger fails the step.\","
    "   \"exclusiveMinimum\": 0"
    "  }"
    " },"
    " \"required\": ["
    "  \"type\","
    "  \"codeContent\""
    " ],"
    " \"additionalProperties\": false"
    "}";

static const char *const typescript_secret_fields[] = {"secrets"};
static const mcpk_component_type type_defs[] = {
    {sizeof(mcpk_component_type), "TypeScript Script", "A sandboxed TypeScript script that exports `main(inputs)` and returns the result.", typescript_config_schema, typescript_secret_fields, 1, MCPK_EXECUTION_SANDBOX},
};

#endif
