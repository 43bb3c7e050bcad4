"""Prompt-injection markers: text a person cannot see but a model reads (Unicode tag
characters, bidi overrides, zero-width runs, hidden HTML and markdown comments that address
the model), and the instruction phrases injected content uses."""

import re

from agentd.detect.rule import Candidate
from agentd.detect.rules.shapes import injection
from agentd.events import Severity

# U+1F3F4 WAVING BLACK FLAG: subdivision flags (England, Scotland, Wales) are this followed by
# lowercase tag letters and U+E007F CANCEL TAG. They are the one legitimate use of tag characters.
_BLACK_FLAG = "\U0001f3f4"
_FLAG_TAGS = re.compile("[\U000e0061-\U000e007a\U000e0030-\U000e0039]{2,6}\U000e007f")
# Phrases that show a hidden comment is talking to the model rather than to a maintainer.
_ADDRESSES_MODEL = re.compile(
    r"\b(?:ignore|disregard|forget|override) (?:all |any |the |your |previous |prior |above |earlier )"
    r"|\b(?:AI|LLM|assistant|language model|chatbot|agent|model|system)\s*:"
    r"|\bif you are an? (?:AI|LLM|assistant|language model|agent|model)\b"
    r"|\bnote (?:to|for) the (?:AI|LLM|assistant|model|agent)\b"
    r"|\byou (?:must|should|will|are now|are an?)\b"
    r"|\b(?:do not|don't) (?:tell|mention|reveal|inform|alert)\b"
    r"|\b(?:new|hidden|secret|updated) instructions\b"
    r"|\b(?:secretly|exfiltrat\w*|send (?:it|them|this|the|all))\b"
    r"|\b(?:api[_ ]?keys?|passwords?|credentials?|private keys?|\.env|ssh keys?)\b"
    r"|\bcurl\b[^\n]{0,80}\|\s*(?:ba)?sh\b",
    re.IGNORECASE,
)


def _not_a_flag(candidate: Candidate) -> bool:
    return not (candidate.before.endswith(_BLACK_FLAG) and _FLAG_TAGS.fullmatch(candidate.value))


def _addresses_model(candidate: Candidate) -> bool:
    return _ADDRESSES_MODEL.search(candidate.group("body")) is not None


_TAG = r"\xF3\xA0[\x80-\x81][\x80-\xBF]"
_BIDI = r"\xE2\x80[\xAA-\xAE]|\xE2\x81[\xA6-\xA9]"
_ZERO_WIDTH = r"\xE2\x80[\x8B-\x8D]|\xE2\x81[\xA0-\xA4]|\xEF\xBB\xBF|\xE1\xA0\x8E"
_INSTRUCTION_PHRASES = (
    r"(?:ignore|disregard|forget|override) (?:all |any |the |your )?(?:previous|prior|above|earlier|"
    r"preceding|original|system) (?:instructions|directions|prompts?|rules|guidelines|context)",
    r"do not (?:tell|inform|mention (?:this |it )?to|reveal (?:this |it )?to|alert) the user",
    r"(?:without|don'?t) (?:telling|informing|asking|notifying) the user",
    r"you are now (?:in )?(?:developer|god|jailbreak|dan|unrestricted) mode",
    r"new (?:system )?instructions ?:",
    r"<\|?(?:im_start|system|endoftext)\|?>",
    r"</?(?:system|instructions|important|admin)(?: [^>]{0,40})?>",
    r"before (?:using|calling|running) (?:this|any other|the) tool,? (?:you )?(?:must|should|first)",
)
# How each phrase begins: Hyperscan looks for these literals only.
_PHRASE_OPENINGS = (
    "(?i:ignore |disregard |forget |override |do not |without |don't |dont |you are now |"
    "new instructions|new system instructions|<\\|?(?:im_start|system|endoftext)|"
    "</?(?:system|instructions|important|admin)|before using |before calling |before running )"
)

RULES = (
    injection(
        "unicode_tags",
        f"(?P<value>(?:{_TAG}){{1,4096}})",
        anchor=_TAG,
        checks=(_not_a_flag,),
        description="invisible Unicode tag characters (U+E0000-E007F) that can spell hidden text",
    ),
    injection(
        "bidi_override",
        f"(?P<value>(?:{_BIDI}){{1,256}})",
        anchor=f"(?:{_BIDI})",
        severity=Severity.MEDIUM,
        description="bidirectional embedding/override/isolate controls (Trojan Source)",
    ),
    injection(
        "zero_width_run",
        f"(?P<value>(?:{_ZERO_WIDTH}){{3,4096}})",
        anchor=f"(?:{_ZERO_WIDTH}){{3}}",
        severity=Severity.MEDIUM,
        description="three or more zero-width characters in a row (hidden data or instructions)",
    ),
    # The body stops at the first `-->` and cannot hold another `<!--`, so confirming one
    # opener never re-reads what the next opener will read.
    injection(
        "hidden_html_comment",
        r"<!--(?P<body>(?:[^<-]|<(?!!--)|-(?!->)){0,4096})-->",
        anchor="<!--",
        checks=(_addresses_model,),
        description="an HTML comment that addresses the model",
    ),
    injection(
        "hidden_markdown_comment",
        r"(?m:^)\[(?://|comment|_|hidden)\]: ?(?:#|<>) ?[(\"'](?P<body>[^\n]{1,2048})",
        anchor=r"\[(?://|comment|_|hidden)\]: ?(?:#|<>)",
        checks=(_addresses_model,),
        description="a markdown link-definition comment (`[//]: # (...)`) that addresses the model",
    ),
    injection(
        "instruction_phrase",
        "(?i:" + "|".join(_INSTRUCTION_PHRASES) + ")",
        anchor=_PHRASE_OPENINGS,
        severity=Severity.MEDIUM,
        description="phrases injected content uses to take over an agent",
    ),
)
