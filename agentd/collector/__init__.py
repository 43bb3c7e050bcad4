"""The central collector: gRPC service, stores (SQLite, PostgreSQL), export and admin."""
