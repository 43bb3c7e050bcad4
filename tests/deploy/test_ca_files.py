from pathlib import Path

import pytest

from agentd.config import PathsSettings
from agentd.deploy import ca_files
from tests.support.certs import make_ca


def test_state_and_public_locations(tmp_path: Path) -> None:
    paths = PathsSettings(state_dir=tmp_path, run_dir=tmp_path / "run")
    assert ca_files.state_cert(paths) == tmp_path / "ca" / "mitmproxy-ca-cert.pem"
    assert ca_files.state_key(paths) == tmp_path / "ca" / "mitmproxy-ca.pem"
    assert ca_files.public_cert("linux") == Path("/usr/local/share/ca-certificates/agentd-ca.crt")
    assert ca_files.public_cert("darwin", Path("/img")) == Path(
        "/img/Library/Application Support/agentd/agentd-ca.pem"
    )


def test_fingerprints_find_the_certificate_in_a_bundle(tmp_path: Path) -> None:
    ours, _ = make_ca("agentd test CA")
    other, _ = make_ca("someone else")
    bundle = (
        b"junk\n" + other + b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n" + ours
    )
    (tmp_path / "ours.pem").write_bytes(ours)
    found = ca_files.fingerprints(bundle)
    assert len(found) == 2
    assert ca_files.fingerprint(ca_files.load_certificate(tmp_path / "ours.pem")) in found


@pytest.mark.parametrize("pem", [b"", b"-----BEGIN CERTIFICATE-----", b"\x00" * 1000, b"A" * 2_000_000])
def test_fingerprints_of_hostile_input_are_empty(pem: bytes) -> None:
    assert ca_files.fingerprints(pem) == set()


def test_load_certificate_rejects_non_pem(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(ValueError):  # noqa: PT011 - cryptography raises a bare ValueError
        ca_files.load_certificate(bad)


def test_system_bundle_is_a_readable_file() -> None:
    bundle = ca_files.system_bundle()
    assert bundle is not None
    assert ca_files.fingerprints(bundle.read_bytes())


def test_cert_for_agents(tmp_path: Path) -> None:
    paths = PathsSettings(state_dir=tmp_path / "state", run_dir=tmp_path / "run")
    root = tmp_path / "root"
    public = ca_files.public_cert("linux", root)
    assert ca_files.cert_for_agents(paths, "linux", system=True, root=root) == public
    # A user with no system install: their own daemon's CA, even before it exists.
    assert ca_files.cert_for_agents(paths, "linux", system=False, root=root) == ca_files.state_cert(paths)
    public.parent.mkdir(parents=True)
    public.write_text("cert")
    # The service's private state is not readable by this user: the public copy it is.
    assert ca_files.cert_for_agents(paths, "linux", system=False, root=root) == public
    ca_files.state_cert(paths).parent.mkdir(parents=True)
    ca_files.state_cert(paths).write_text("cert")
    assert ca_files.cert_for_agents(paths, "linux", system=False, root=root) == ca_files.state_cert(paths)
