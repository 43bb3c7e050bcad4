"""Credentials inside URLs and command lines: database and broker URLs with a password,
basic-auth URLs, webhook URLs that are their own secret, and Authorization headers."""

from agentd.detect.checks import literal_value, min_entropy, not_digest_or_uuid
from agentd.detect.rule import Candidate, Rule
from agentd.detect.rules.shapes import boundary, secret
from agentd.events import Severity

# userinfo = user ":" password "@" (RFC 3986); the password may be percent-encoded.
_USERINFO = r"(?P<user>[A-Za-z0-9._~%!$&*+;=-]{0,64}):(?P<value>[A-Za-z0-9._~%!$&*+;=^()-]{3,256})@"
_HOST = r"[A-Za-z0-9._-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]"
_DATABASES = (
    "postgres|postgresql|pgsql|mysql|mysql2|mysqlx|mariadb|mongodb|mongodb\\+srv|redis|rediss|"
    "mssql|sqlserver|oracle|cockroachdb|clickhouse|couchdb|neo4j|neo4j\\+s|bolt|cassandra|"
    "jdbc:postgresql|jdbc:mysql|jdbc:sqlserver|jdbc:oracle:thin|db2|snowflake|elasticsearch"
)
_BROKERS = "amqp|amqps|kafka|nats|tls|mqtt|mqtts|stomp|redis-sentinel|sqs|pulsar|pulsar\\+ssl"

# Passwords in URLs that are template slots or the well-known defaults of local services.
_NOT_PASSWORDS = frozenset(
    {"password", "pass", "passwd", "pwd", "secret", "changeme", "guest", "admin", "root", "postgres", "test"}
)


def _real_password(candidate: Candidate) -> bool:
    value = candidate.value
    if value.lower() in _NOT_PASSWORDS or value.startswith(("$", "%(", "{")):
        return False
    # `user:pass@host` where pass is a port number (`localhost:5432@...`) is not a credential.
    return not value.isdigit()


def _url_rule(rule_id: str, schemes: str, severity: Severity, description: str) -> Rule:
    return secret(
        rule_id,
        boundary("A-Za-z0-9+.-") + f"(?i:{schemes})://{_USERINFO}(?:{_HOST})",
        anchor=f"(?i:{schemes})://[^/@\\s]{{0,64}}:",
        severity=severity,
        checks=(_real_password,),
        priority=80,
        preview_chars=2,
        description=description,
    )


RULES = (
    _url_rule("url.database_password", _DATABASES, Severity.CRITICAL, "a database URL with a password"),
    _url_rule("url.broker_password", _BROKERS, Severity.HIGH, "a message-broker URL with a password"),
    _url_rule(
        "url.basic_auth",
        "https?|ftp|ftps|sftp|ssh|git\\+https?|svn\\+ssh|ldaps?|smtps?|imaps?|socks5h?",
        Severity.HIGH,
        "a URL carrying user:password",
    ),
    secret(
        "slack.webhook_url",
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{8,12}/"
        r"(?P<value>[A-Z0-9]{8,12}/[A-Za-z0-9]{24,32})(?![A-Za-z0-9])",
        anchor=r"https://hooks\.slack\.com/(?:services|workflows|triggers)/T[A-Z0-9]{8}",
        severity=Severity.HIGH,
    ),
    secret(
        "discord.webhook_url",
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/"
        r"(?P<value>[A-Za-z0-9_-]{60,72})(?![A-Za-z0-9_-])",
        anchor=r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17}",
        severity=Severity.HIGH,
    ),
    secret(
        "microsoft.teams_webhook_url",
        r"https://[a-z0-9-]{1,64}\.webhook\.office\.com/webhookb2/[a-f0-9-]{36}@[a-f0-9-]{36}/"
        r"IncomingWebhook/(?P<value>[a-f0-9]{32})/[a-f0-9-]{36}",
        anchor=r"https://[a-z0-9-]{1,64}\.webhook\.office\.com/webhookb2/",
        severity=Severity.HIGH,
    ),
    secret(
        "http.bearer_token",
        r"(?i:authorization)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?i:bearer|token)[ \t]{1,4}"
        r"(?P<value>[A-Za-z0-9._~+/=-]{16,4096})(?![A-Za-z0-9._~+/=-])",
        anchor="(?i:authorization)",
        severity=Severity.HIGH,
        checks=(min_entropy(3.5), not_digest_or_uuid),
        priority=60,
    ),
    secret(
        "http.basic_auth_header",
        r"(?i:authorization)[\"']?[ \t]{0,4}[:=][ \t]{0,4}[\"']?(?i:basic)[ \t]{1,4}"
        r"(?P<value>[A-Za-z0-9+/]{8,1024}={0,2})(?![A-Za-z0-9+/=])",
        anchor="(?i:authorization)",
        severity=Severity.HIGH,
        checks=(min_entropy(3.0),),
        priority=60,
    ),
    secret(
        "cli.password_argument",
        boundary("A-Za-z0-9_-") + r"(?:--password|--passwd|--pass|--db-password|--token|--api-key|--secret)"
        r"(?:=|[ \t]{1,4})[\"']?(?P<value>[^\s\"'`$<>(){}\[\];|&]{8,256})",
        anchor=r"--(?:password|passwd|pass|db-password|token|api-key|secret)(?:=|[ \t])",
        severity=Severity.HIGH,
        checks=(literal_value, min_entropy(2.8), not_digest_or_uuid),
        priority=30,
    ),
    secret(
        "cli.curl_user_password",
        boundary("A-Za-z0-9_-") + r"(?:-u|--user)[ \t]{1,4}[\"']?[A-Za-z0-9._@+-]{1,128}:"
        r"(?P<value>[^\s\"'`$<>(){}\[\];|&]{6,256})",
        anchor=r"(?:-u|--user)[ \t]{1,4}[\"']?[A-Za-z0-9._@+-]{1,128}:",
        severity=Severity.HIGH,
        checks=(_real_password, min_entropy(2.5)),
        priority=30,
        preview_chars=2,
    ),
)
