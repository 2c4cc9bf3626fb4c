/* The plugin ABI is header-only; this unit checks that it compiles as C99. */
#include "../../include/mcpk/plugin.h"
