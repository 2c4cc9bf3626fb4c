/* placeholder */ int mcpk_placeholder_postgres(void) { return 0; }
