"""The Cedar policy engine: the rules, pre-parsed, grouped by outcome (deny, requires_approval).

Every rule is a ``forbid`` carrying ``@id``, ``@outcome`` (deny | requires_approval, default deny),
``@mode`` (enforce | monitor, default enforce) and ``@reason`` annotations. ``evaluate`` returns
the rules that fired; turning them into a decision is the governor's job. cedarpy's errors are
translated into PolicyError here, the one module that talks to it.

Both outcome groups are compiled into one Cedar PolicySet and split by annotation afterwards:
a Deny lists every satisfied forbid, so one evaluation answers for both groups, and Cedar's cost
per call is dominated by parsing the request context, which two sets would pay twice.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import cedarpy

from agentd.decide import policies
from agentd.errors import PolicyError
from agentd.events import Outcome, PolicyMode

ACTION = {"type": "Agentd::Action", "id": "call"}
_ENTITY_CACHE_LIMIT = 1024
_OUTCOMES = {"deny": Outcome.DENY, "requires_approval": Outcome.REQUIRES_APPROVAL}


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    outcome: Outcome
    mode: PolicyMode
    reason: str
    source: str


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The rules whose conditions held, and any evaluation errors (an erroring rule did not fire)."""

    fired: tuple[Rule, ...] = ()
    errors: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicySource:
    name: str  # a file name, for messages
    text: str


def default_sources() -> tuple[PolicySource, ...]:
    return tuple(PolicySource(name, text) for name, text in policies.default_texts())


def parse_rules(sources: Sequence[PolicySource]) -> tuple[tuple[Rule, dict[str, Any]], ...]:
    """Each policy as (Rule, Cedar JSON form); PolicyError names the file and the problem."""
    parsed: list[tuple[Rule, dict[str, Any]]] = []
    seen: dict[str, str] = {}
    for source in sources:
        try:
            document = json.loads(cedarpy.policies_to_json_str(source.text))
        except ValueError as exc:
            raise PolicyError(f"{source.name}: not valid Cedar: {_first_line(exc)}") from None
        if document.get("templates"):
            raise PolicyError(f"{source.name}: templates (?principal, ?resource) are not supported")
        for position, policy in enumerate(document.get("staticPolicies", {}).values()):
            annotations = policy.get("annotations", {})
            where = f"{source.name}: policy {position + 1}"
            rule_id = annotations.get("id")
            if not rule_id:
                raise PolicyError(f'{where}: needs an @id("...") annotation')
            where = f"{source.name}: {rule_id}"
            if rule_id in seen:
                raise PolicyError(f"{where}: @id already used in {seen[rule_id]}")
            if policy.get("effect") != "forbid":
                raise PolicyError(f"{where}: must be a forbid (a rule fires when its conditions hold)")
            outcome = annotations.get("outcome", "deny")
            if outcome not in _OUTCOMES:
                raise PolicyError(f"{where}: @outcome must be deny or requires_approval, not {outcome!r}")
            mode = annotations.get("mode", "enforce")
            if mode not in ("enforce", "monitor"):
                raise PolicyError(f"{where}: @mode must be enforce or monitor, not {mode!r}")
            seen[rule_id] = source.name
            rule = Rule(
                id=rule_id,
                outcome=_OUTCOMES[outcome],
                mode=PolicyMode(mode),
                reason=annotations.get("reason") or rule_id,
                source=source.name,
            )
            parsed.append((rule, policy))
    return tuple(parsed)


def validate(sources: Sequence[PolicySource], schema: str | None = None) -> list[str]:
    """Everything wrong with ``sources``: Cedar syntax, agentd's annotations, and type errors
    against the schema shipped with agentd (or ``schema``). Empty when all is well."""
    problems: list[str] = []
    try:
        parse_rules(sources)
    except PolicyError as exc:
        problems.append(str(exc))
        return problems
    try:
        compiled = cedarpy.Schema.from_str(schema if schema is not None else policies.schema_text())
    except ValueError as exc:
        return [f"schema: {_first_line(exc)}"]
    for source in sources:
        result = cedarpy.validate_policies(source.text, compiled)
        names = result.id_annotations_by_policy_id
        for error in result.errors:
            rule = names.get(error.policy_id, error.policy_id)
            problems.append(f"{source.name}: {rule}: {error.error}")
    return problems


class PolicyEngine:
    """Evaluates a call against the rules; safe to share, cheap per call (policies parsed once)."""

    def __init__(
        self, sources: Sequence[PolicySource], version: str | None = None, check: bool = True
    ) -> None:
        if check and (problems := validate(sources)):
            raise PolicyError("; ".join(problems))
        parsed = parse_rules(sources)
        self.rules: tuple[Rule, ...] = tuple(rule for rule, _ in parsed)
        self.version = version or "builtin-" + _digest(sources)
        self._by_id = {rule.id: rule for rule in self.rules}
        self._policies = self._compile(list(parsed))
        self._entities: dict[
            tuple[str, str], tuple[Mapping[str, Any], Mapping[str, Any], cedarpy.Entities]
        ] = {}

    def by_outcome(self, outcome: Outcome) -> tuple[Rule, ...]:
        """The deny group or the requires_approval group."""
        return tuple(rule for rule in self.rules if rule.outcome is outcome)

    @classmethod
    def default(cls) -> "PolicyEngine":
        return cls(default_sources())

    @staticmethod
    def _compile(parsed: list[tuple[Rule, dict[str, Any]]]) -> cedarpy.PolicySet | None:
        if not parsed:
            return None
        document = {"staticPolicies": {r.id: p for r, p in parsed}, "templates": {}, "templateLinks": []}
        try:
            return cedarpy.PolicySet.from_json_str(json.dumps(document))
        except ValueError as exc:
            raise PolicyError(f"cannot compile policies: {_first_line(exc)}") from None

    def evaluate(
        self, principal: Mapping[str, Any], resource: Mapping[str, Any], context: Mapping[str, Any]
    ) -> Evaluation:
        """The rules that fire for an ``Agentd::Agent`` calling an ``Agentd::Tool``.

        ``principal`` and ``resource`` are the entities' attributes plus an ``id``."""
        entities = self._entities_for(principal, resource)
        request = {
            "principal": {"type": "Agentd::Agent", "id": str(principal["id"])},
            "action": ACTION,
            "resource": {"type": "Agentd::Tool", "id": str(resource["id"])},
            "context": dict(context),
        }
        if self._policies is None:
            return Evaluation()
        try:
            result = cedarpy.is_authorized(request, self._policies, entities)
        except ValueError as exc:  # a malformed request: report, never raise into the caller
            return Evaluation(errors=(_first_line(exc),))
        # Report in the bundle's order, whatever order Cedar lists them in.
        satisfied = set(result.diagnostics.reasons)
        return Evaluation(
            fired=tuple(rule for rule in self.rules if rule.id in satisfied),
            errors=tuple(str(e) for e in result.diagnostics.errors),
        )

    def _entities_for(self, principal: Mapping[str, Any], resource: Mapping[str, Any]) -> cedarpy.Entities:
        key = (str(principal["id"]), str(resource["id"]))
        cached = self._entities.get(key)
        if cached is not None and cached[0] == principal and cached[1] == resource:
            return cached[2]
        document = json.dumps(
            [
                {
                    "uid": {"type": "Agentd::Agent", "id": str(principal["id"])},
                    "attrs": {k: v for k, v in principal.items() if k != "id"},
                    "parents": [],
                },
                {
                    "uid": {"type": "Agentd::Tool", "id": str(resource["id"])},
                    "attrs": {k: v for k, v in resource.items() if k != "id"},
                    "parents": [],
                },
            ],
        )
        if len(self._entities) >= _ENTITY_CACHE_LIMIT:
            self._entities.clear()
        try:
            handle = cedarpy.Entities.from_json_str(document)
        except ValueError as exc:
            raise PolicyError(f"cannot build Cedar entities: {_first_line(exc)}") from None
        self._entities[key] = (dict(principal), dict(resource), handle)
        return handle

    def rule(self, rule_id: str) -> Rule | None:
        return self._by_id.get(rule_id)


def _digest(sources: Sequence[PolicySource]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.name.encode() + b"\0" + source.text.encode() + b"\0")
    return digest.hexdigest()[:12]


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
