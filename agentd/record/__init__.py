"""Record: the SQLite spool (outbox with a monotonic sequence, plus the local query store)."""
