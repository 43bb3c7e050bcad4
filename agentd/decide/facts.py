"""Call facts: everything policy and risk need to know about one tool call, derived once from the
tool's classification, its arguments (by role), shell analysis, findings and the session state,
and rendered as the Cedar request context.
"""

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from agentd.decide.catalog import ArgRole, Capability, ToolClass, role_of_key
from agentd.decide.credfiles import credential_directory, credential_file, persistence_file
from agentd.decide.hosts import emails_in_text, is_domain, under, url_host
from agentd.decide.shell import ShellContext, ShellFacts, analyze, sql_destructive
from agentd.decide.state import Label, PendingCall, SessionState
from agentd.events import Finding, FindingKind

MAX_NODES = 5000  # argument values walked per call
MAX_VALUE_CHARS = 64 * 1024  # of one string value, read for roles
MAX_ITEMS = 200  # per collected set

# Argument keys whose values name an environment, so a production word there means production.
_TARGET_KEYS = frozenset(
    {"env", "environment", "stage", "profile", "context", "cluster", "namespace", "project", "database",
     "db", "host", "hostname", "server", "target", "region", "account", "workspace", "dsn",
     "connectionstring"}
)  # fmt: skip
_PATCH_PATHS = re.compile(
    r"^\*\*\* (?:Add|Update|Delete) File: (.+)$|^\*\*\* Move to: (.+)$|^\+\+\+ (?:b/)?(.+)$", re.M
)
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class CallFacts:
    tool: ToolClass
    args_parsed: bool
    truncated: bool
    recipients: tuple[str, ...]
    urls: tuple[str, ...]
    hosts: tuple[str, ...]
    paths: tuple[str, ...]
    credential_paths: tuple[str, ...]
    persistence_paths: tuple[str, ...]
    queries: tuple[str, ...]
    args_production: tuple[str, ...]
    shell: ShellFacts | None
    secrets: int
    pii: int
    injection: int
    finding_rules: tuple[str, ...]
    reads_credentials: bool
    sends_external: bool
    destinations: tuple[str, ...]
    untrusted_destinations: tuple[str, ...]
    destination_untrusted: bool
    recipients_outside_participants: tuple[str, ...]
    destructive: bool
    destructive_ops: tuple[str, ...]
    production: bool
    destructive_production: bool

    def result(self) -> PendingCall:
        """What this call's result will bring into the session once it runs."""
        caps = self.tool.capabilities
        labels: list[Label] = []
        network_read = self.shell is not None and bool(self.shell.network_hosts) and not self.shell.egress
        if Capability.READS_UNTRUSTED in caps or network_read:
            labels.append(Label.UNTRUSTED_CONTENT)
        if Capability.READS_PRIVATE in caps or self.shell is not None:
            labels.append(Label.PRIVATE_DATA)
        if self.reads_credentials:
            labels += [Label.CREDENTIAL_FILE_READ, Label.SECRET]
        reads = Capability.READS_PRIVATE in caps or Capability.READS_UNTRUSTED in caps
        return PendingCall(tool=self.tool.name, labels=tuple(labels), email=self.tool.email and reads)


def call_facts(
    tool: ToolClass,
    arguments: Any,
    *,
    session: SessionState,
    findings: Sequence[Finding] = (),
    shell_context: ShellContext | None = None,
) -> CallFacts:
    """The facts of calling ``tool`` with ``arguments`` (parsed JSON; None when unparseable)."""
    context = shell_context or ShellContext()
    collected = _Collected()
    collected.walk(tool, arguments)
    shell = _shell_facts(tool, collected, context)
    patch_paths = [p for text in collected.values[ArgRole.PATCH] for p in _patch_paths(text)]
    paths = _limit([*collected.values[ArgRole.PATH], *patch_paths])
    credential_paths = tuple(p for p in paths if credential_file(p) or credential_directory(p))
    persistence_paths = tuple(p for p in paths if persistence_file(p))
    recipients = _recipients(collected.values[ArgRole.RECIPIENTS])
    urls = _limit(collected.values[ArgRole.URL])
    hosts = _limit([h for u in urls if (h := url_host(u) or (u.lower() if is_domain(u) else None))])
    queries = _limit(collected.values[ArgRole.QUERY])
    args_production = _production(context, [*hosts, *collected.targets])

    reads = Capability.READS_PRIVATE in tool.capabilities
    reads_credentials = (
        Capability.READS_CREDENTIALS in tool.capabilities
        or (reads and bool(credential_paths))
        or (shell is not None and bool(shell.credential_reads))
    )
    sends_external = Capability.SENDS_EXTERNAL in tool.capabilities or (shell is not None and shell.egress)
    destinations = _limit(
        [*hosts, *recipients, *(shell.egress_hosts if shell is not None else ())] if sends_external else []
    )
    untrusted = tuple(d for d in destinations if not _trusted(d, session))
    outside = tuple(
        r for r in recipients if "@" in r and r not in session.participants | session.trusted_recipients
    )
    sql_ops = [op for q in queries for op in sql_destructive(q)] if tool.integration == "database" else []
    destructive_ops = _limit(
        [
            *([f"{tool.tool} ({tool.integration})"] if Capability.DESTRUCTIVE in tool.capabilities else []),
            *(op.op for op in (shell.destructive if shell is not None else ())),
            *(f"{tool.tool}: {op}" for op in sql_ops),
        ]
    )
    production = bool(args_production) or (shell is not None and bool(shell.production))
    destructive_production = (shell is not None and shell.destructive_production) or (
        bool(args_production) and (Capability.DESTRUCTIVE in tool.capabilities or bool(sql_ops))
    )
    counts = dict.fromkeys(FindingKind, 0)
    for finding in findings:
        counts[finding.kind] += 1
    return CallFacts(
        tool=tool,
        args_parsed=arguments is not None,
        truncated=collected.truncated or (shell is not None and shell.truncated),
        recipients=recipients,
        urls=urls,
        hosts=hosts,
        paths=paths,
        credential_paths=credential_paths,
        persistence_paths=persistence_paths,
        queries=queries,
        args_production=args_production,
        shell=shell,
        secrets=counts[FindingKind.SECRET],
        pii=counts[FindingKind.PII],
        injection=counts[FindingKind.INJECTION],
        finding_rules=_limit([f.rule_id for f in findings]),
        reads_credentials=reads_credentials,
        sends_external=sends_external,
        destinations=destinations,
        untrusted_destinations=untrusted,
        destination_untrusted=sends_external and (bool(untrusted) or not destinations),
        recipients_outside_participants=outside,
        destructive=bool(destructive_ops),
        destructive_ops=destructive_ops,
        production=production,
        destructive_production=destructive_production,
    )


class _Collected:
    """Argument values gathered by role while walking the JSON arguments."""

    def __init__(self) -> None:
        self.values: dict[ArgRole, list[str]] = {role: [] for role in ArgRole}
        self.commands: list[Any] = []  # shell text, or an argv list
        self.targets: list[str] = []  # values of environment-like keys
        self.truncated = False
        self._nodes = 0

    def walk(self, tool: ToolClass, arguments: Any) -> None:
        if arguments is None:
            return
        if isinstance(arguments, str):  # a freeform tool (Codex custom tools) takes raw text
            role = ArgRole.PATCH if tool.patch else ArgRole.COMMAND if tool.shell else ArgRole.CONTENT
            self._add(role, arguments)
            if role is ArgRole.COMMAND:
                self.commands.append(arguments)
            return
        self._walk(tool, arguments, None, 0)

    def _walk(self, tool: ToolClass, value: Any, role: ArgRole | None, depth: int) -> None:
        self._nodes += 1
        if self._nodes > MAX_NODES or depth > 32:
            self.truncated = True
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                key = str(key)
                key_role = tool.roles.get(key) or role_of_key(key) or role
                if _NON_ALNUM.sub("", key.lower()) in _TARGET_KEYS and isinstance(item, str):
                    self.targets.append(item[:512])
                if key_role is ArgRole.COMMAND and tool.shell and isinstance(item, str | list):
                    self.commands.append(item)
                self._walk(tool, item, key_role, depth + 1)
        elif isinstance(value, list):
            for item in value:
                self._walk(tool, item, role, depth + 1)
        elif isinstance(value, str) and role is not None:
            self._add(role, value)

    def _add(self, role: ArgRole, value: str) -> None:
        if len(value) > MAX_VALUE_CHARS:
            value, self.truncated = value[:MAX_VALUE_CHARS], True
        if len(self.values[role]) < MAX_ITEMS:
            self.values[role].append(value)
        else:
            self.truncated = True


def _shell_facts(tool: ToolClass, collected: _Collected, context: ShellContext) -> ShellFacts | None:
    if not tool.shell or not collected.commands:
        return None
    command = collected.commands[0]
    if isinstance(command, list):
        return analyze([str(w) for w in command], context)
    return analyze(str(command), context)


def _patch_paths(text: str) -> Iterator[str]:
    for match in _PATCH_PATHS.finditer(text[:MAX_VALUE_CHARS]):
        path = next(g for g in match.groups() if g)
        if path.strip() and path.strip() != "/dev/null":
            yield path.strip()


def _recipients(values: Sequence[str]) -> tuple[str, ...]:
    found: list[str] = []
    for value in values:
        emails = emails_in_text(value)
        found.extend(emails or [value.strip().lower()])
    return _limit([f for f in found if f])


def _production(context: ShellContext, values: Sequence[str]) -> tuple[str, ...]:
    patterns = {p.lower() for p in context.production_patterns}
    return _limit([v for v in values if patterns.intersection(_NON_ALNUM.split(v.lower()[:512]))])


def _trusted(destination: str, session: SessionState) -> bool:
    if "@" in destination:
        domain = destination.rsplit("@", 1)[1]
        return (
            destination in session.participants
            or destination in session.trusted_recipients
            or under(domain, session.trusted_hosts)
        )
    return under(destination, session.trusted_hosts)


def _limit(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))[:MAX_ITEMS]


def cedar_context(
    facts: CallFacts, session: SessionState, *, point: str, new_server: bool, changed: bool
) -> dict[str, Any]:
    """The flat ``context`` record of the Cedar request (see policies/agentd.cedarschema)."""
    shell = facts.shell
    return {
        "point": point,
        "args_parsed": facts.args_parsed,
        "args_truncated": facts.truncated,
        "args_recipients": list(facts.recipients),
        "args_hosts": list(facts.hosts),
        "args_paths": list(facts.paths),
        "args_credential_paths": list(facts.credential_paths),
        "args_persistence_paths": list(facts.persistence_paths),
        "args_production": bool(facts.args_production),
        "shell_present": shell is not None,
        "shell_parsed": shell.parsed if shell is not None else True,
        "shell_truncated": bool(shell and shell.truncated),
        "shell_programs": sorted(shell.programs) if shell is not None else [],
        "shell_credential_read": bool(shell and shell.credential_reads),
        "shell_destructive": bool(shell and shell.destructive),
        "shell_destructive_ops": [op.op for op in shell.destructive] if shell is not None else [],
        "shell_destructive_production": bool(shell and shell.destructive_production),
        "shell_production": bool(shell and shell.production),
        "shell_egress": bool(shell and shell.egress),
        "shell_egress_hosts": list(shell.egress_hosts) if shell is not None else [],
        "shell_network_hosts": list(shell.network_hosts) if shell is not None else [],
        "shell_publish": bool(shell and shell.publish),
        "shell_privilege": bool(shell and shell.privilege),
        "shell_persistence": bool(shell and shell.persistence),
        "shell_remote_code": bool(shell and shell.remote_code),
        "findings_secrets": facts.secrets,
        "findings_pii": facts.pii,
        "findings_injection": facts.injection,
        "findings_rules": list(facts.finding_rules),
        "session_labels": sorted(session.labels),
        "session_has_participants": bool(session.participants),
        "session_calls": session.calls,
        "call_reads_credentials": facts.reads_credentials,
        "call_sends_external": facts.sends_external,
        "call_destinations": list(facts.destinations),
        "call_untrusted_destinations": list(facts.untrusted_destinations),
        "call_destination_untrusted": facts.destination_untrusted,
        "call_recipients_outside_participants": list(facts.recipients_outside_participants),
        "call_destructive": facts.destructive,
        "call_production": facts.production,
        "call_destructive_production": facts.destructive_production,
        "tool_new_server": new_server,
        "tool_definition_changed": changed,
    }


def resource_entity(tool: ToolClass) -> dict[str, Any]:
    """The ``Agentd::Tool`` entity: an ``id`` and its attributes."""
    return {
        "id": tool.name,
        "name": tool.name,
        "tool": tool.tool,
        "server": tool.server or "",
        "integration": tool.integration,
        "capabilities": sorted(tool.capabilities),
        "risk": tool.risk,
        "origin": str(tool.origin),
        "email": tool.email,
    }
