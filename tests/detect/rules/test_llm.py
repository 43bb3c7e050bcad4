import json

import pytest

from agentd.detect import Scanner
from agentd.detect.rules import llm
from tests.detect.rules.table import assert_nothing_from, assert_secret_sample_found, family_rules, found
from tests.support import secrets


@pytest.mark.parametrize("rule_id", family_rules(llm))
def test_every_rule_finds_its_sample_in_context(scanner: Scanner, rule_id: str) -> None:
    assert_secret_sample_found(scanner, rule_id)


def _env_file() -> tuple[str, set[tuple[str, str]]]:
    anthropic, openai = secrets.anthropic_key("env"), secrets.openai_key("env")
    hf = "h" + "f_" + secrets.body("env-hf", 34, secrets.string.ascii_letters)
    text = f"ANTHROPIC_API_KEY={anthropic}\nOPENAI_API_KEY='{openai}'\nHF_TOKEN=\"{hf}\"\n"
    return text, {
        ("secret.anthropic.api_key", anthropic),
        ("secret.openai.project_key", openai),
        ("secret.huggingface.token", hf),
    }


def _sdk_call() -> tuple[str, set[tuple[str, str]]]:
    key = secrets.anthropic_key("sdk")
    return f'client = anthropic.Anthropic(api_key="{key}")', {("secret.anthropic.api_key", key)}


def _header_in_request_log() -> tuple[str, set[tuple[str, str]]]:
    key = secrets.openai_key("hdr")
    text = json.dumps({"headers": {"authorization": f"Bearer {key}", "content-type": "application/json"}})
    return text, {("secret.openai.project_key", key)}


TRUE_POSITIVES = [_env_file, _sdk_call, _header_in_request_log]


@pytest.mark.parametrize("build", TRUE_POSITIVES, ids=lambda f: f.__name__)
def test_true_positives(scanner: Scanner, build) -> None:
    text, expected = build()
    assert found(scanner, text) == expected


FALSE_POSITIVES = [
    "ANTHROPIC_API_KEY=sk-ant-api03-...",
    "OPENAI_API_KEY=sk-proj-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "api_key = 'sk-your-key-here'",
    "Keys look like sk-ant-api03-<93 characters>AA",
    "hf_hub_download(repo_id='bert-base-uncased')",
    "from groq import Groq  # gsk_ keys",
    "model = 'gpt-4o'; max_tokens = 1024",
    "sk-learn is not scikit-learn",
    "r8_ prefix is used by Replicate",
    "xai-grok-2-latest",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positives(scanner: Scanner, text: str) -> None:
    assert_nothing_from(scanner, llm, text)
