from agentd.deploy.doctor import Check, Host, Status, run, start_command, summary
from tests.deploy.conftest import HostFactory


def _ok(host: Host) -> list[Check]:
    return [Check("one", Status.PASS, "fine"), Check("two", Status.WARN, "meh", fix="do x")]


def check_exploding_thing(host: Host) -> list[Check]:
    raise RuntimeError("boom")


def test_run_keeps_order_and_turns_a_crash_into_a_failed_line(make_host: HostFactory) -> None:
    results = run(make_host(), (_ok, check_exploding_thing, _ok))
    assert [r.name for r in results] == ["one", "two", "exploding.thing", "one", "two"]
    crashed = results[2]
    assert crashed.status is Status.FAIL
    assert crashed.summary == "the check itself failed: RuntimeError: boom"
    assert crashed.fix is not None
    assert summary(results) == {"pass": 2, "warn": 2, "fail": 1}


def test_check_as_json() -> None:
    check = Check("ca", Status.WARN, "expires soon", fix="renew", details={"days": 3})
    assert check.as_json() == {
        "check": "ca",
        "status": "warn",
        "summary": "expires soon",
        "fix": "renew",
        "details": {"days": 3},
    }


def test_start_command_per_platform(make_host: HostFactory) -> None:
    host = make_host()
    assert start_command(host).startswith("agentd run")
    host.system_unit.parent.mkdir(parents=True)
    host.system_unit.write_text("[Service]\n")
    assert start_command(host) == "sudo systemctl start agentd"
    assert "launchctl kickstart" in start_command(make_host(platform="darwin"))
