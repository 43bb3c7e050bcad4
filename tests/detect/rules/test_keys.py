import json

import pytest

from agentd.detect import Scanner
from agentd.detect.rules import keys
from tests.detect.rules.table import assert_nothing_from, assert_secret_sample_found, family_rules, found
from tests.support import secrets


@pytest.mark.parametrize("rule_id", family_rules(keys))
def test_every_rule_finds_its_sample_in_context(scanner: Scanner, rule_id: str) -> None:
    assert_secret_sample_found(scanner, rule_id)


def _service_account_json() -> tuple[str, set[tuple[str, str]]]:
    """A GCP key file: the PEM sits JSON-escaped (literal \\n) inside it."""
    pem = secrets.private_key_pem("sa", "PRIVATE KEY", 1214)
    key_id = secrets.body("sa-id", 40, "0123456789abcdef")
    text = json.dumps({"type": "service_account", "private_key_id": key_id, "private_key": pem + "\n"})
    escaped = json.dumps(pem)[1:-1]
    return text, {("secret.gcp.service_account_key_id", key_id), ("secret.private_key.pkcs8", escaped)}


def _ssh_key_printed_by_cat() -> tuple[str, set[tuple[str, str]]]:
    pem = secrets.private_key_pem("ssh", "OPENSSH PRIVATE KEY", 380)
    return f"$ cat ~/.ssh/id_ed25519\n{pem}\n$ ", {("secret.private_key.openssh", pem)}


def _crlf_pem() -> tuple[str, set[tuple[str, str]]]:
    pem = secrets.private_key_pem("crlf", "EC PRIVATE KEY", 117).replace("\n", "\r\n")
    return pem, {("secret.private_key.ec", pem)}


def _jwt_in_cookie() -> tuple[str, set[tuple[str, str]]]:
    token = secrets.jwt("cookie")
    return f"Set-Cookie: session={token}; HttpOnly; Secure", {("secret.jwt", token)}


TRUE_POSITIVES = [_service_account_json, _ssh_key_printed_by_cat, _crlf_pem, _jwt_in_cookie]


@pytest.mark.parametrize("build", TRUE_POSITIVES, ids=lambda f: f.__name__)
def test_true_positives(scanner: Scanner, build) -> None:
    text, expected = build()
    assert found(scanner, text) == expected


def _truncated_body() -> str:
    pem = secrets.private_key_pem("cut", "RSA PRIVATE KEY", 1190)
    lines = pem.splitlines()
    return "\n".join([*lines[:4], *lines[-1:]])


def _mismatched_labels() -> str:
    pem = secrets.private_key_pem("mix", "RSA PRIVATE KEY", 1190)
    return pem.replace("END RSA PRIVATE KEY", "END EC PRIVATE KEY")


FALSE_POSITIVES = [
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN PRIVATE KEY-----\n<your key here>\n-----END PRIVATE KEY-----",
    "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----",
    "grep -l 'BEGIN OPENSSH PRIVATE KEY' ~/.ssh/*",
    _truncated_body(),
    _mismatched_labels(),
    "eyJhbGciOiJIUzI1NiJ9.e30.",
    "eyJub3QiOiJhIGp3dCJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLWJ5dGVz",  # header without "alg"
    "AGE-SECRET-KEY-1 is how age keys start",
    "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\n",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positives(scanner: Scanner, text: str) -> None:
    assert_nothing_from(scanner, keys, text)
