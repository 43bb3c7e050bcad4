from datetime import UTC, datetime, timedelta

from agentd.decide.alerts import MAX_EVIDENCE, AlertBook, AlertSpec
from agentd.events import AgentKind, AgentRef, Severity, Stamper

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def spec(evidence: str = "e1", tool: str = "Bash") -> AlertSpec:
    return AlertSpec(
        rule_id="policy:credential-file-read",
        title="Denied Bash",
        reason="agents may not read credential files",
        severity=Severity.HIGH,
        session_id="s",
        agent=AgentRef(kind=AgentKind.CLAUDE_CODE),
        tool=tool,
        integration="claude-code",
        evidence=(evidence,),
    )


def test_the_first_alert_says_what_why_who_and_the_evidence() -> None:
    (alert,) = AlertBook(Stamper("h")).raise_alert(spec(), NOW)
    assert alert.kind == "alert"
    assert alert.alert_id == alert.id
    assert (alert.rule_id, alert.title, alert.reason) == (
        "policy:credential-file-read",
        "Denied Bash",
        "agents may not read credential files",
    )
    assert (alert.tool, alert.integration, alert.agent.kind, alert.session_id) == (
        "Bash",
        "claude-code",
        AgentKind.CLAUDE_CODE,
        "s",
    )
    assert alert.evidence == ("e1",)
    assert alert.severity is Severity.HIGH
    assert alert.count == 1


def test_repeats_aggregate_instead_of_flooding() -> None:
    book = AlertBook(Stamper("h"))
    (first,) = book.raise_alert(spec("e0"), NOW)
    emitted = []
    for i in range(1, 50):
        emitted += book.raise_alert(spec(f"e{i}"), NOW + timedelta(seconds=i))
    assert [a.count for a in emitted] == [10]  # reported again at 10 (and 100, 1000), not each time
    assert emitted[0].alert_id == first.alert_id
    assert len(emitted[0].evidence) == 10
    (summary,) = book.flush(NOW + timedelta(minutes=11))
    assert summary.count == 50
    assert summary.alert_id == first.alert_id
    assert len(summary.evidence) == MAX_EVIDENCE
    assert book.flush(NOW + timedelta(minutes=12)) == []
    (fresh,) = book.raise_alert(spec(), NOW + timedelta(minutes=13))
    assert fresh.alert_id != first.alert_id


def test_different_tools_are_different_alerts() -> None:
    book = AlertBook(Stamper("h"))
    assert len(book.raise_alert(spec(tool="Bash"), NOW)) == 1
    assert len(book.raise_alert(spec(tool="Read"), NOW)) == 1
    assert book.open_groups() == 2


def test_a_window_without_repeats_closes_silently() -> None:
    book = AlertBook(Stamper("h"))
    book.raise_alert(spec(), NOW)
    assert book.flush(NOW + timedelta(hours=1)) == []


def test_json_round_trip_keeps_aggregating() -> None:
    book = AlertBook(Stamper("h"))
    (first,) = book.raise_alert(spec(), NOW)
    book.raise_alert(spec(), NOW)
    restored = AlertBook.from_json(book.to_json(), Stamper("h"))
    assert restored.to_json() == book.to_json()
    (summary,) = restored.flush(NOW + timedelta(hours=1))
    assert summary.alert_id == first.alert_id
    assert summary.count == 2
    assert AlertBook.from_json([{"spec": {}}, 3, None], Stamper("h")).open_groups() == 0
