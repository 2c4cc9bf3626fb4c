/* placeholder */ int mcpk_placeholder_testops(void) { return 0; }
