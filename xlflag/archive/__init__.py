"""The 星级党员档案: every committed period kept (SQLite or PostgreSQL), read back as records."""
