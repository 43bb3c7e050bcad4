import json
from datetime import UTC, datetime

from agentd.events import AgentConfigChanged, AgentKind, ConfigChange, FieldChange, Stamper
from agentd.normalize.model import ToolSpec
from agentd.record.inventory import Inventory, InventorySink
from agentd.record.statestore import StateStore
from tests.support.agentd_env import AgentdHome

NOW = datetime(2026, 8, 1, tzinfo=UTC)


class Discard:
    def emit(self, event: object) -> None:
        pass


def populate(home: AgentdHome) -> None:
    store = StateStore(home.state_dir / "state.sqlite3")
    stamp = Stamper("h")
    inventory = Inventory(store, stamp)
    inventory.observe_tools(
        AgentKind.CLAUDE_CODE, None, [ToolSpec("mcp__github__create_issue", "Create")], NOW
    )
    InventorySink(Discard(), inventory).emit(
        stamp(
            AgentConfigChanged,
            NOW,
            config_agent=AgentKind.CLAUDE_CODE,
            file="/home/u/.claude.json",
            scope="user",
            change=ConfigChange.SERVER_ADDED,
            server="github",
            transport="stdio",
            diff=(FieldChange(path="command", after="npx"),),
        )
    )
    store.close()


def test_inventory_json_lines(agentd_home: AgentdHome) -> None:
    populate(agentd_home)
    result = agentd_home.run("inventory", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["part"] for r in rows] == ["servers", "tools"]
    server, tool = rows
    assert (server["name"], server["agent"], server["command"], server["reviewed"]) == (
        "github",
        "claude-code",
        "npx",
        False,
    )
    assert (tool["name"], tool["server"], tool["reviewed"]) == ("mcp__github__create_issue", "github", False)

    only = agentd_home.run("inventory", "tools", "--json")
    assert [json.loads(line)["part"] for line in only.stdout.splitlines()] == ["tools"]


def test_inventory_table(agentd_home: AgentdHome) -> None:
    populate(agentd_home)
    result = agentd_home.run("inventory", "servers", env=agentd_home.env(COLUMNS="200"))
    assert result.returncode == 0, result.stderr
    assert "github" in result.stdout
    assert "unreviewed" in result.stdout


def test_no_inventory_yet(agentd_home: AgentdHome) -> None:
    result = agentd_home.run("inventory")
    assert result.returncode == 0
    assert "no inventory yet" in result.stdout
    assert agentd_home.run("inventory", "--json").stdout == ""
    assert not (agentd_home.state_dir / "state.sqlite3").exists()


def test_a_damaged_store_is_an_error(agentd_home: AgentdHome) -> None:
    agentd_home.state_dir.mkdir(parents=True, exist_ok=True)
    (agentd_home.state_dir / "state.sqlite3").write_bytes(b"not a database" * 100)
    result = agentd_home.run("inventory")
    assert result.returncode == 2
    assert "cannot read the inventory" in result.stderr
