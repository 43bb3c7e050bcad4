"""Stored events as OCSF-shaped JSON objects (OCSF 1.1), for SIEM ingestion.

Alerts and findings become Detection Findings (2004); credential-file and agent-config events
File System Activity (1001); agent processes Process Activity (1007); everything else (tool
calls, prompts, model turns...) API Activity (6003). Fields OCSF has no place for go under
``unmapped``, so nothing is lost.
"""

import json
from typing import Any

from agentd.collector.store.records import EventRow, HostRecord

OCSF_VERSION = "1.1.0"

_SEVERITY_ID = {"info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5}

# kind -> (class_uid, class_name, category_uid, category_name, activity_id, activity_name)
_CLASSES: dict[str, tuple[int, str, int, str, int, str]] = {
    "alert": (2004, "Detection Finding", 2, "Findings", 1, "Create"),
    "finding": (2004, "Detection Finding", 2, "Findings", 1, "Create"),
    "credential_file_access": (1001, "File System Activity", 1, "System Activity", 2, "Read"),
    "agent_config_change": (1001, "File System Activity", 1, "System Activity", 3, "Update"),
    "agent_process": (1007, "Process Activity", 1, "System Activity", 1, "Launch"),
}
_API = (6003, "API Activity", 6, "Application Activity", 99, "Other")


def to_ocsf(row: EventRow, host: HostRecord | None = None) -> dict[str, Any]:
    """One OCSF object for a stored event; ``host`` adds the device's hostname and OS."""
    class_uid, class_name, category_uid, category_name, activity_id, activity_name = _CLASSES.get(
        row.kind, _API
    )
    details = json.loads(row.details)
    if row.kind == "agent_process" and details.get("state") == "exited":
        activity_id, activity_name = 2, "Terminate"
    device: dict[str, Any] = {"uid": row.host_id}
    if host is not None:
        device.update(
            hostname=host.facts.hostname, os={"name": host.facts.os, "version": host.facts.os_version}
        )
    actor: dict[str, Any] = {"app_name": row.agent_kind}
    if row.agent_pid is not None or row.agent_exe:
        actor["process"] = {"pid": row.agent_pid, "file": {"path": row.agent_exe}}
    if row.agent_user:
        actor["user"] = {"name": row.agent_user}
    event: dict[str, Any] = {
        "metadata": {
            "version": OCSF_VERSION,
            "uid": row.id,
            "product": {"name": "agentd", "vendor_name": "agentd"},
            "sequence": row.seq,
            "correlation_uid": row.session_id,
            "logged_time": row.received_ms,
        },
        "time": row.time_ms,
        "class_uid": class_uid,
        "class_name": class_name,
        "category_uid": category_uid,
        "category_name": category_name,
        "activity_id": activity_id,
        "activity_name": activity_name,
        "type_uid": class_uid * 100 + activity_id,
        "severity_id": _SEVERITY_ID.get(row.severity, 0),
        "severity": row.severity.capitalize(),
        "device": device,
        "actor": actor,
        "message": _message(row.kind, details),
        "unmapped": {"agentd_kind": row.kind, "epoch": row.epoch, **details},
    }
    if class_uid == 2004:
        event["finding_info"] = {
            "uid": details.get("alert_id") or row.id,
            "title": details.get("title") or details.get("finding", {}).get("rule_id", row.kind),
            "desc": details.get("reason"),
        }
    if class_uid == 1001:
        event["file"] = {"path": details.get("path") or details.get("file")}
    if class_uid == 6003:
        event["api"] = {"operation": details.get("tool") or row.kind}
    return event


def _message(kind: str, details: dict[str, Any]) -> str:
    if kind == "alert":
        return f"{details.get('title', '')}: {details.get('reason', '')}"
    if kind == "tool_call":
        outcome = (details.get("decision") or {}).get("outcome", "")
        return f"tool call {details.get('tool', '')}" + (f" -> {outcome}" if outcome else "")
    return kind.replace("_", " ")
