import pytest

from agentd.normalize.dialects import BY_NAME, DIALECTS, dialect_for


def test_names_are_unique_and_stable() -> None:
    assert [d.name for d in DIALECTS] == ["anthropic", "openai-chat", "openai-responses", "gemini", "mcp"]
    assert set(BY_NAME) == {d.name for d in DIALECTS}


@pytest.mark.parametrize(
    ("method", "host", "path", "name"),
    [
        ("POST", "api.anthropic.com", "/v1/messages?beta=true", "anthropic"),
        ("POST", "api.openai.com", "/v1/chat/completions", "openai-chat"),
        ("POST", "chatgpt.com", "/backend-api/codex/responses", "openai-responses"),
        ("GET", "chatgpt.com", "/backend-api/codex/responses", "openai-responses"),
        ("POST", "cloudcode-pa.googleapis.com", "/v1internal:streamGenerateContent?alt=sse", "gemini"),
        ("POST", "mcp.example.com", "/mcp", "mcp"),
        ("POST", "api.githubcopilot.com", "/mcp/readonly", "mcp"),
        ("POST", "api.anthropic.com", "/v1/messages/count_tokens", None),
        ("GET", "api.anthropic.com", "/v1/models", None),
        ("POST", "example.com", "/", None),
    ],
)
def test_dialect_for(method: str, host: str, path: str, name: str | None) -> None:
    found = dialect_for(method, host, path)
    assert (found.name if found else None) == name
