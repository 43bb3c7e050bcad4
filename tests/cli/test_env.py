import json
import subprocess
from pathlib import Path

import pytest

from tests.support.agentd_env import make_home
from tests.support.proxy import configure_proxy


def _exports(output: str) -> dict[str, str]:
    """What a shell gets after eval-ing `agentd env --shell` output."""
    script = (
        output
        + "\nfor v in HTTPS_PROXY HTTP_PROXY NODE_EXTRA_CA_CERTS CODEX_CA_CERTIFICATE SSL_CERT_FILE; do\n"
    )
    script += '  if [ -n "${!v+x}" ]; then printf "%s=%s\\0" "$v" "${!v}"; fi\ndone\n'
    result = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True, env={})
    return dict(item.split("=", 1) for item in result.stdout.split("\0") if item)


def test_the_running_daemons_real_port_and_ca(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    with home.start_daemon() as daemon:
        listen = daemon.status()["proxy"]["listen"]
        result = home.run("env", "--shell")
        assert result.returncode == 0, result.stderr
        assert daemon.stop() == 0
    port = int(listen.rsplit(":", 1)[1])
    assert port != 0
    values = _exports(result.stdout)
    assert values["HTTPS_PROXY"] == values["HTTP_PROXY"] == f"http://127.0.0.1:{port}"
    ca = home.state_dir / "ca"
    assert values["NODE_EXTRA_CA_CERTS"] == str(ca / "mitmproxy-ca-cert.pem")
    assert values["CODEX_CA_CERTIFICATE"] == values["SSL_CERT_FILE"] == str(ca / "roots-and-agentd-ca.pem")
    assert Path(values["SSL_CERT_FILE"]).read_text().endswith(Path(values["NODE_EXTRA_CA_CERTS"]).read_text())


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        ("claude-code", {"HTTPS_PROXY", "HTTP_PROXY", "NODE_EXTRA_CA_CERTS"}),
        ("gemini", {"HTTPS_PROXY", "HTTP_PROXY", "NODE_EXTRA_CA_CERTS"}),
        ("codex", {"HTTPS_PROXY", "HTTP_PROXY", "CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"}),
        (
            "all",
            {"HTTPS_PROXY", "HTTP_PROXY", "NODE_EXTRA_CA_CERTS", "CODEX_CA_CERTIFICATE", "SSL_CERT_FILE"},
        ),
    ],
)
def test_per_agent_variables_without_a_daemon(tmp_path: Path, agent: str, expected: set[str]) -> None:
    home = make_home(tmp_path)
    configure_proxy(home.config, listen_port=18899)
    result = home.run("env", "--agent", agent, "--json")
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout)
    assert set(values) == expected
    assert values["HTTPS_PROXY"] == "http://127.0.0.1:18899"


def test_plain_output_is_name_value_lines(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    configure_proxy(home.config, listen_port=18899)
    lines = home.run("env", "--agent", "claude-code").stdout.splitlines()
    assert lines[0] == "HTTPS_PROXY=http://127.0.0.1:18899"
    assert lines[2].startswith("NODE_EXTRA_CA_CERTS=/")


def test_paths_with_spaces_survive_eval(tmp_path: Path) -> None:
    root = tmp_path / "dir with 'quotes' and spaces"
    root.mkdir()
    home = make_home(root)
    configure_proxy(home.config, listen_port=18899)
    result = home.run("env", "--shell", "--agent", "claude-code")
    assert result.returncode == 0, result.stderr
    assert _exports(result.stdout)["NODE_EXTRA_CA_CERTS"] == str(
        home.state_dir / "ca" / "mitmproxy-ca-cert.pem"
    )


def test_port_zero_without_a_daemon_says_to_start_it(tmp_path: Path) -> None:
    result = make_home(tmp_path).run("env")
    assert result.returncode == 3
    assert "agentd run" in result.stderr
    assert result.stdout == ""


def test_local_capture_needs_no_proxy_variables(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    configure_proxy(home.config, mode="local")
    values = json.loads(home.run("env", "--json", "--agent", "claude-code").stdout)
    assert set(values) == {"NODE_EXTRA_CA_CERTS"}


def test_a_disabled_proxy_is_an_error(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    configure_proxy(home.config, enabled=False)
    result = home.run("env")
    assert result.returncode == 1
    assert "disabled" in result.stderr
