import json

import pytest

from agentd.detect import Scanner
from agentd.detect.rules import cloud
from tests.detect.rules.table import assert_nothing_from, assert_secret_sample_found, family_rules, found
from tests.support import secrets


@pytest.mark.parametrize("rule_id", family_rules(cloud))
def test_every_rule_finds_its_sample_in_context(scanner: Scanner, rule_id: str) -> None:
    assert_secret_sample_found(scanner, rule_id)


def _sts_response() -> tuple[str, set[tuple[str, str]]]:
    key_id = "AS" + "IA" + secrets.body("sts", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    secret = secrets.aws_secret_access_key("sts")
    session = "IQoJb3JpZ2luX2VjE" + secrets.body("sts-token", 280, secrets._B64)
    text = json.dumps(
        {"Credentials": {"AccessKeyId": key_id, "SecretAccessKey": secret, "SessionToken": session}}, indent=2
    )
    expected = {
        ("secret.aws.temporary_access_key_id", key_id),
        ("secret.aws.secret_access_key", secret),
        ("secret.aws.session_token", session),
    }
    return text, expected


def _credentials_file() -> tuple[str, set[tuple[str, str]]]:
    text = secrets.aws_credentials_file("file")
    return text, {
        ("secret.aws.access_key_id", secrets.aws_access_key_id("file")),
        ("secret.aws.secret_access_key", secrets.aws_secret_access_key("file")),
    }


def _escaped_env() -> tuple[str, set[tuple[str, str]]]:
    secret = secrets.aws_secret_access_key("escaped")
    text = json.dumps({"command": f"export AWS_SECRET_ACCESS_KEY={secret}\nterraform apply"})
    return text, {("secret.aws.secret_access_key", secret)}


TRUE_POSITIVES = [_sts_response, _credentials_file, _escaped_env]


@pytest.mark.parametrize("build", TRUE_POSITIVES, ids=lambda f: f.__name__)
def test_true_positives(scanner: Scanner, build) -> None:
    text, expected = build()
    assert found(scanner, text) == expected


FALSE_POSITIVES = [
    "AKIAIOSFODNN7EXAMPLE",
    "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_ACCESS_KEY_ID=AKIA1234567890ABCDEF",  # 0, 1, 8, 9 are not in the key alphabet
    "arn:aws:iam::123456789012:role/AKIAROLE",
    "aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}",
    "aws_secret_access_key: <your secret key>",
    "AWS_SECRET_ACCESS_KEY=" + "0123456789" * 4,
    "AIzaSyShort",
    "GOCSPX-tooShort",
    "ya29.short",
    "AccountKey=abc123==",
    "sv=2022-11-02&ss=b&srt=sco&sp=r&sig=short",
    "request id 3f2c1a9e-7b4d-4c1e-9a6f-2d8e5b7c0a1f",
    "HEROKU_APP_ID=3f2c1a9e-7b4d-4c1e-9a6f-2d8e5b7c0a1f",
    "dop_v1_" + "0" * 64,
    "LTAI_is_not_a_key",
    "hvs.short",
    "terraform.atlasv1.example",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positives(scanner: Scanner, text: str) -> None:
    assert_nothing_from(scanner, cloud, text)
