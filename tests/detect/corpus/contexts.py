"""Where samples are planted: the kinds of text agents exchange (shell, .env, JSON tool
payloads, YAML, code, logs, prose, escaped JSON), each a template with one slot."""

import json

from tests.support.secrets import Sample

# `{}` is the slot. Contexts for a value that identifies itself.
VALUE_CONTEXTS = (
    "{}",
    "export DEPLOY_CRED={}\n",
    '{{"name": "deploy", "value": "{}", "scope": "ci"}}',
    "  value: {}\n",
    'client = Client(auth="{}")\n',
    "2024-05-01T12:00:03Z INFO worker-3 using credential {} for upload\n",
    "Here is what the build printed: {} and then it exited.",
    "```\n{}\n```\n",
    'curl -s -H "X-Api-Key: {}" https://api.acme-corp.io/v1/items\n',
    '{{"type": "tool_result", "tool_use_id": "toolu_01", "content": "line 1\\n{}\\n"}}',
    "| env | key |\n|-----|-----|\n| prod | {} |\n",
    "<config><credential>{}</credential></config>\n",
)

# Contexts for a value named by its key: `{key}` and `{}`.
KEYED_CONTEXTS = (
    "{key}={}\n",
    'export {key}="{}"\n',
    "{lower}: {}\n",
    '{{"{lower}": "{}"}}',
    '{lower} = "{}"\n',
    "{lower} = '{}'\n",
    '{{\\"{lower}\\": \\"{}\\"}}',
    "  {key}: '{}'\n",
)

# Contexts for a complete snippet (URLs, key blocks, config files).
TEXT_CONTEXTS = (
    "{}",
    "$ cat config\n{}\n$ echo done\n",
    "connecting using {}\n",
    "```\n{}\n```",
)


def _fill(template: str, slot: str, **names: str) -> tuple[str, int]:
    """The filled template and where the slot's content starts."""
    marker = "\x00SLOT\x00"
    filled = template.format(marker, **names)
    at = filled.index(marker)
    return filled.replace(marker, slot), at


def plant(sample: Sample, variant: int) -> tuple[str, int, int, str]:
    """(text, start, end, value as it appears) for ``sample`` in context number ``variant``."""
    if sample.text is not None:
        template = TEXT_CONTEXTS[variant % len(TEXT_CONTEXTS)]
        text, at = _fill(template, sample.text)
        start = at + sample.text.index(sample.value)
        return text, start, start + len(sample.value), sample.value
    if sample.key is not None:
        template = KEYED_CONTEXTS[variant % len(KEYED_CONTEXTS)]
        escaped = "\\" in template
        value = json.dumps(sample.value)[1:-1] if escaped else sample.value
        text, at = _fill(template, value, key=sample.key, lower=sample.key.lower())
        return text, at, at + len(value), value
    template = VALUE_CONTEXTS[variant % len(VALUE_CONTEXTS)]
    value = sample.value
    if "tool_result" in template or '"value"' in template:
        value = json.dumps(value, ensure_ascii=False)[1:-1]
    text, at = _fill(template, value)
    return text, at, at + len(value), value
