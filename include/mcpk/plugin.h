/* Placeholder: the plugin ABI is defined by the plugin-host work (issue 4). */
#ifndef MCPK_PLUGIN_H
#define MCPK_PLUGIN_H
#include <stdint.h>
#include <stddef.h>
#define MCPK_ABI_VERSION_1_0_0 1000000u
#endif
