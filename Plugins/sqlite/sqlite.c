/* placeholder */ int mcpk_placeholder_sqlite(void) { return 0; }
