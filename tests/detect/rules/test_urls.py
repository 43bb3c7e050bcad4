import base64

import pytest

from agentd.detect import Scanner
from agentd.detect.rules import urls
from tests.detect.rules.table import assert_nothing_from, assert_secret_sample_found, family_rules, found
from tests.support import secrets


@pytest.mark.parametrize("rule_id", family_rules(urls))
def test_every_rule_finds_its_sample_in_context(scanner: Scanner, rule_id: str) -> None:
    assert_secret_sample_found(scanner, rule_id)


def _compose_file() -> tuple[str, set[tuple[str, str]]]:
    password = secrets.body("compose", 18)
    text = f"services:\n  api:\n    environment:\n      DATABASE_URL: mongodb+srv://app:{password}@cluster0.mongodb.net/prod\n"
    return text, {("secret.url.database_password", password)}


def _jdbc() -> tuple[str, set[tuple[str, str]]]:
    password = secrets.body("jdbc", 12) + "%40"
    text = f"jdbc:mysql://report:{password}@10.0.4.12:3306/sales"
    return text, {("secret.url.database_password", password), ("pii.ipv4.private", "10.0.4.12")}


def _curl_with_header_and_user() -> tuple[str, set[tuple[str, str]]]:
    token = secrets.body("bearer", 48, secrets._URLSAFE)
    password = secrets.body("curl", 16)
    text = f"curl -u ops:{password} -H 'Authorization: Bearer {token}' https://ci.acme-corp.io/api/builds"
    return text, {("secret.cli.curl_user_password", password), ("secret.http.bearer_token", token)}


def _basic_header() -> tuple[str, set[tuple[str, str]]]:
    value = base64.b64encode(f"deploy:{secrets.body('basic', 20)}".encode()).decode()
    return f'"Authorization": "Basic {value}"', {("secret.http.basic_auth_header", value)}


TRUE_POSITIVES = [_compose_file, _jdbc, _curl_with_header_and_user, _basic_header]


@pytest.mark.parametrize("build", TRUE_POSITIVES, ids=lambda f: f.__name__)
def test_true_positives(scanner: Scanner, build) -> None:
    text, expected = build()
    assert found(scanner, text) == expected


FALSE_POSITIVES = [
    "postgres://user:password@localhost:5432/app",
    "postgresql://postgres:${POSTGRES_PASSWORD}@db:5432/app",
    "postgresql://app@db.acme-corp.io:5432/app",
    "amqp://guest:guest@rabbitmq:5672",
    "redis://:@localhost:6379/0",
    "https://github.com/acme-corp/agentd.git",
    "http://localhost:8080/api?next=https://acme-corp.io",
    "https://user:{password}@host",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "Authorization: Bearer $TOKEN",
    "Authorization: Bearer <token>",
    "Authorization: Bearer " + "0123456789abcdef" * 2,
    "headers['Authorization'] = f'Bearer {token}'",
    "docker login --password-stdin",
    "mysql --password=$MYSQL_PASSWORD",
    "git push -u origin main",
    "docker run -u 1000:1000 alpine",
    "psql --password",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positives(scanner: Scanner, text: str) -> None:
    assert_nothing_from(scanner, urls, text)
