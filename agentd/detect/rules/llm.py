"""LLM provider API keys: Anthropic, OpenAI, Hugging Face, Groq, Replicate, Perplexity, xAI,
OpenRouter, LangSmith, ElevenLabs (Google AI keys are Google API keys, in ``cloud``)."""

from agentd.detect.rules.shapes import token
from agentd.events import Severity

ALNUM = "[A-Za-z0-9]"
URLSAFE = "[A-Za-z0-9_-]"
HEX = "[a-f0-9]"

RULES = (
    token("anthropic.api_key", "sk-ant-api03-", URLSAFE, 93, suffix="AA", severity=Severity.CRITICAL),
    token("anthropic.admin_key", "sk-ant-admin01-", URLSAFE, 93, suffix="AA", severity=Severity.CRITICAL),
    token("anthropic.oauth_token", "sk-ant-o(?:at|rt)01-", URLSAFE, (80, 120), severity=Severity.CRITICAL),
    token("openai.project_key", "sk-proj-", URLSAFE, (48, 200), severity=Severity.CRITICAL),
    token("openai.service_account_key", "sk-svcacct-", URLSAFE, (48, 200), severity=Severity.CRITICAL),
    token("openai.admin_key", "sk-admin-", URLSAFE, (48, 200), severity=Severity.CRITICAL),
    token("openai.api_key", "sk-", ALNUM, 20, suffix="T3BlbkFJ[A-Za-z0-9]{20}", severity=Severity.CRITICAL),
    token("huggingface.token", "hf_", "[A-Za-z]", 34),
    token("huggingface.org_token", "api_org_", "[A-Za-z]", 34),
    token("groq.api_key", "gsk_", ALNUM, 52),
    token("replicate.api_token", "r8_", ALNUM, 37),
    token("perplexity.api_key", "pplx-", ALNUM, 48),
    token("xai.api_key", "xai-", ALNUM, 80),
    token("openrouter.api_key", "sk-or-v1-", HEX, 64),
    token("langsmith.api_key", "lsv2_(?:pt|sk)_", HEX, 32, suffix="_[a-f0-9]{10}"),
    token("elevenlabs.api_key", "sk_", HEX, 48),
)
