from pathlib import Path

from cryptography import x509

from tests.support.agentd_env import make_home


def test_path_creates_the_ca_once_and_prints_its_certificate(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    first = home.run("ca", "path")
    assert first.returncode == 0, first.stderr
    cert = Path(first.stdout.strip())
    assert cert == home.state_dir / "ca" / "mitmproxy-ca-cert.pem"
    assert "agentd" in x509.load_pem_x509_certificate(cert.read_bytes()).subject.rfc4514_string()
    before = cert.read_bytes()
    assert home.run("ca", "path").stdout.strip() == str(cert)
    assert cert.read_bytes() == before


def test_bundle(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    result = home.run("ca", "bundle")
    assert result.returncode == 0, result.stderr
    bundle = Path(result.stdout.strip())
    assert bundle.read_text().count("BEGIN CERTIFICATE") > 50


def test_an_unwritable_state_dir_fails_clearly(tmp_path: Path) -> None:
    home = make_home(tmp_path)
    home.state_dir.parent.mkdir(parents=True, exist_ok=True)
    home.state_dir.write_text("not a directory")
    result = home.run("ca", "path")
    assert result.returncode == 1
    assert "cannot create agentd's CA" in result.stderr
