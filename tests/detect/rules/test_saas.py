import json

import pytest

from agentd.detect import Scanner
from agentd.detect.rules import saas
from tests.detect.rules.table import assert_nothing_from, assert_secret_sample_found, family_rules, found
from tests.support import secrets


@pytest.mark.parametrize("rule_id", family_rules(saas))
def test_every_rule_finds_its_sample_in_context(scanner: Scanner, rule_id: str) -> None:
    assert_secret_sample_found(scanner, rule_id)


def _slack_app_manifest() -> tuple[str, set[tuple[str, str]]]:
    bot = secrets.slack_bot_token("manifest")
    text = json.dumps({"ok": True, "bot": {"bot_access_token": bot, "bot_user_id": "U012AB3CD"}})
    return text, {("secret.slack.bot_token", bot)}


def _stripe_checkout() -> tuple[str, set[tuple[str, str]]]:
    live = "sk" + "_live_" + secrets.body("checkout", 48)
    return f'stripe.api_key = "{live}"\nstripe.Charge.create(amount=2000)', {
        ("secret.stripe.secret_key", live)
    }


def _datadog_env() -> tuple[str, set[tuple[str, str]]]:
    key = secrets.body("dd", 32, "0123456789abcdef")
    return f"DD_API_KEY={key}\nDD_SITE=datadoghq.eu", {("secret.datadog.api_key", key)}


TRUE_POSITIVES = [_slack_app_manifest, _stripe_checkout, _datadog_env]


@pytest.mark.parametrize("build", TRUE_POSITIVES, ids=lambda f: f.__name__)
def test_true_positives(scanner: Scanner, build) -> None:
    text, expected = build()
    assert found(scanner, text) == expected


FALSE_POSITIVES = [
    "xoxb-your-bot-token",
    "xoxb-123-456-abc",
    "SLACK_BOT_TOKEN=xoxb-xxxxxxxxxxxx-xxxxxxxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx",
    "sk_live_" + "x" * 24,
    "pk_live_51H8abcdefghijklmnopqrstu",  # publishable keys are public by design
    "stripe.Charge.create(amount=2000, currency='usd')",
    "SG.short.value",
    "key-value store",
    "monkey-0123456789abcdef0123456789abcdef",
    "SKIP_TESTS=1",
    "DD_API_KEY=" + "0" * 32,
    "DD_API_KEY=${DATADOG_API_KEY}",
    "ntn_ is Notion's new prefix",
    "secret_santa_assignments = []",
    "pat.get('name')",
    "api-gateway.acme-corp.io",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positives(scanner: Scanner, text: str) -> None:
    assert_nothing_from(scanner, saas, text)
