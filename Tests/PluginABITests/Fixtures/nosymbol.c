/* A shared library that is not an mcpk plugin: no mcpk_plugin_init. */
int some_other_function(void) { return 42; }
