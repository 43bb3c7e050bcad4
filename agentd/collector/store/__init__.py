"""Collector storage backends behind one protocol: SQLite (embedded) and PostgreSQL."""
