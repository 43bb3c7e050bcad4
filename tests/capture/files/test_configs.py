import json
from pathlib import Path
from typing import Any

import pytest

from agentd.capture.files import configs
from agentd.capture.files.configs import NAMESPACE, ConfigMonitor, MemoryStore
from agentd.capture.files.locations import Layout
from agentd.clock import SystemClock
from agentd.events import ConfigChange, Stamper
from agentd.record.statestore import StateStore
from tests.support import secrets

TOKEN = secrets.github_pat("configs")


@pytest.fixture
def layout(tmp_path: Path) -> Layout:
    (tmp_path / "home" / ".cursor").mkdir(parents=True)
    (tmp_path / "proj" / "app" / ".claude").mkdir(parents=True)
    return Layout(
        homes=(tmp_path / "home",),
        project_roots=(tmp_path / "proj",),
        env_depth=2,
        env={},
        system="linux",
        system_root=tmp_path / "sys",
    )


def monitor(layout: Layout, store: Any = None) -> ConfigMonitor:
    return ConfigMonitor(layout, Stamper("h"), SystemClock(), store)


def cursor(layout: Layout) -> Path:
    return layout.homes[0] / ".cursor" / "mcp.json"


def servers(**entries: Any) -> str:
    return json.dumps({"mcpServers": entries})


def changes(events: list[Any]) -> list[tuple[str, str | None]]:
    return [(e.change.value, getattr(e, "server", None)) for e in events if e.kind == "agent_config_change"]


def test_baseline_then_only_differences(layout: Layout) -> None:
    cursor(layout).write_text(servers(a={"command": "x", "env": {"T": TOKEN}}))
    project = layout.project_roots[0] / "app" / ".claude" / "settings.json"
    project.write_text(json.dumps({"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "say"}]}]}}))
    watch = monitor(layout)
    first = watch.baseline()
    assert sorted(changes(first)) == [("hooks_changed", None), ("server_added", "a")]
    assert watch.baseline() == []
    assert watch.changed(str(cursor(layout))) == []
    assert TOKEN not in json.dumps([e.model_dump(mode="json") for e in first])


def test_stored_state_survives_restart(layout: Layout, tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state.sqlite3")
    try:
        cursor(layout).write_text(servers(a={"command": "x"}, b={"command": "y"}))
        monitor(layout, store).baseline()
        cursor(layout).write_text(servers(a={"command": "z"}))
        again = monitor(layout, store).baseline()
        assert sorted(changes(again)) == [("server_changed", "a"), ("server_removed", "b")]
        cursor(layout).unlink()
        assert changes(monitor(layout, store).baseline()) == [("server_removed", "a")]
        assert list(store.items(NAMESPACE)) == []
    finally:
        store.close()


def test_parse_errors_wait_for_a_settled_write_and_are_not_repeated(layout: Layout) -> None:
    watch = monitor(layout)
    path = cursor(layout)
    path.write_text('{"mcpServers": ')
    assert watch.changed(str(path), settled=False) == []
    assert str(path) in watch.unsettled
    [error] = watch.changed(str(path))
    assert error.change is ConfigChange.PARSE_ERROR
    assert str(path) in (error.detail or "")
    assert watch.changed(str(path)) == []  # the same broken content again
    path.write_text(servers(a={"command": "x"}))
    assert changes(watch.changed(str(path))) == [("server_added", "a")]
    path.write_text('{"mcpServers": ')
    assert len(watch.changed(str(path))) == 1  # broken again: reported again


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe{}", "not UTF-8"),
        (b" " * (configs.MAX_CONFIG_BYTES + 1), "larger than"),
        (b'{"mcpServers": {"bad": 1}}', "skipped malformed entries"),
    ],
)
def test_unreadable_content(layout: Layout, content: bytes, message: str) -> None:
    path = cursor(layout)
    path.write_bytes(content)
    [error] = monitor(layout).changed(str(path))
    assert error.change is ConfigChange.PARSE_ERROR
    assert message in (error.detail or "")


def test_a_damaged_stored_inventory_counts_as_none(layout: Layout) -> None:
    store = MemoryStore()
    path = cursor(layout)
    store.put(NAMESPACE, str(path), {"source": {"nope": 1}})
    store.put(NAMESPACE, "/gone", {"source": "broken"})
    path.write_text(servers(a={"command": "x"}))
    store.put(NAMESPACE, str(path), {"inventory": {"servers": [{"x": 1}]}})
    watch = monitor(layout, store)
    assert changes(watch.changed(str(path))) == [("server_added", "a")]
    watch.baseline()
    assert store.get(NAMESPACE, "/gone") is None


def test_tampering_raises_an_alert(layout: Layout) -> None:
    settings = layout.homes[0] / ".claude" / "settings.json"
    settings.parent.mkdir()
    hooked = {
        "hooks": {"PreToolUse": [{"hooks": [{"type": "command", "command": "agentd hook claude-code"}]}]}
    }
    settings.write_text(json.dumps(hooked))
    watch = monitor(layout)
    watch.changed(str(settings))
    settings.write_text(json.dumps({"hooks": {}, "disableAllHooks": True}))
    tampered, alert = watch.changed(str(settings))
    assert tampered.change is ConfigChange.TAMPERED
    assert alert.kind == "alert"
    assert alert.evidence == (tampered.id,)
    assert "disableAllHooks" in alert.reason


def test_existing_finds_configs_in_projects_and_fixed_places(layout: Layout) -> None:
    cursor(layout).write_text("{}")
    deep = layout.project_roots[0] / "app" / ".claude" / "settings.local.json"
    deep.write_text("{}")
    pruned = layout.project_roots[0] / "node_modules" / "pkg" / ".mcp.json"
    pruned.parent.mkdir(parents=True)
    pruned.write_text("{}")
    found = {s.path: s.scope for s in monitor(layout).existing()}
    assert found == {str(cursor(layout)): "user", str(deep): "local"}
