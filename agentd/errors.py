"""The small tree of errors that callers branch on; everything else is a bug.

    AgentdError
    ├── ConfigError            a settings file or value is unusable        (exit 78, EX_CONFIG)
    ├── DaemonNotRunning       the control socket does not answer           (exit 3, LSB)
    ├── ParseError             bytes from the outside could not be understood
    ├── SpoolError             the local spool cannot be used
    │   └── SpoolCorrupt       ... because its file is damaged
    ├── KeyStoreError          the host's signing key cannot be read or written
    ├── ShipError              a batch could not be delivered
    │   ├── CollectorUnavailable   retry later
    │   └── BatchRejected          the collector refused it; retrying will not help
    └── PolicyError            a policy bundle is invalid or its signature does not verify

Foreign exceptions (OSError, grpc.RpcError, mitmproxy's, psycopg's) are translated into
these once, in the module that talks to the foreign library.
"""


class AgentdError(Exception):
    """Base of every error agentd raises on purpose."""

    exit_code: int = 1


class ConfigError(AgentdError):
    """A settings file is unreadable or one of its values is invalid."""

    exit_code = 78


class DaemonNotRunning(AgentdError):
    """The daemon's control socket is absent or does not answer."""

    exit_code = 3


class ParseError(AgentdError):
    """Input from outside (a body, a stream, a file) could not be parsed."""


class SpoolError(AgentdError):
    """The local spool cannot be opened or written."""


class SpoolCorrupt(SpoolError):
    """The spool file is damaged; the caller moves it aside and starts afresh."""


class KeyStoreError(AgentdError):
    """The host signing key cannot be loaded or stored."""


class ShipError(AgentdError):
    """A batch could not be delivered to the collector."""


class CollectorUnavailable(ShipError):
    """The collector is unreachable or overloaded; retry with backoff."""


class BatchRejected(ShipError):
    """The collector refused the batch (bad signature, gap, unknown host)."""


class PolicyError(AgentdError):
    """A policy or policy bundle is invalid, or its signature does not verify."""
