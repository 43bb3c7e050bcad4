"""agentd: a per-host daemon that makes coding agents visible and governable.

Layers, in data-flow order (docs/architecture.md draws them):

- ``capture``   I/O edges: mitmproxy addon, agent hooks, file watchers, process table
- ``normalize`` pure: wire formats (dialects) and sessions -> events
- ``detect``    pure: secrets, PII and injection markers -> findings (never raw values)
- ``decide``    pure: tool catalog, shell facts, session state, Cedar policy, risk, alerts
- ``record``    the SQLite spool (outbox + local query store)
- ``ship``      host keys, signed hash-chained batches, the gRPC client, policy sync
- ``collector`` the central gRPC service and its stores
- ``observe``   the control socket and status snapshot
- ``cli``       the typer app; ``daemon`` is the composition root
"""

__version__ = "0.1.0"
