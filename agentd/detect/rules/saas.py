"""SaaS API credentials: messaging (Slack, Discord, Telegram, Twilio, SendGrid, Mailgun,
Mailchimp), payments and commerce (Stripe, Square, Shopify, Braintree), and developer and
productivity services (Datadog, Sentry, Linear, Notion, Figma, Airtable, Postman, …)."""

from agentd.detect.checks import min_entropy
from agentd.detect.rules.shapes import assigned, boundary, secret, token
from agentd.events import Severity

ALNUM = "[A-Za-z0-9]"
URLSAFE = "[A-Za-z0-9_-]"
HEX = "[a-f0-9]"

RULES = (
    token("slack.bot_token", "xoxb-", "[0-9]", (10, 13), suffix="-[0-9]{10,13}-[A-Za-z0-9]{24,34}"),
    token("slack.user_token", "xoxp-", "[0-9]", (10, 13), suffix="-[0-9]{10,13}-[0-9]{10,13}-[a-f0-9]{32}"),
    token("slack.app_token", "xapp-[0-9]-", "[A-Z0-9]", (9, 12), suffix="-[0-9]{10,13}-[a-f0-9]{64}"),
    token("slack.config_token", "xoxe\\.xox[bp]-[0-9]-", ALNUM, (140, 200)),
    token("slack.refresh_token", "xoxe-[0-9]-", ALNUM, (140, 200)),
    token("slack.legacy_token", "xox[aors]-", "[0-9]", (10, 13), suffix="-[0-9A-Za-z-]{16,80}"),
    secret(
        "discord.bot_token",
        boundary("A-Za-z0-9_-")
        + r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_.-])",
        anchor=r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.",
        checks=(min_entropy(3.5),),
    ),
    secret(
        "telegram.bot_token",
        boundary("A-Za-z0-9_:-") + r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}(?![A-Za-z0-9_-])",
        anchor=r"[0-9]{8,10}:AA[A-Za-z0-9_-]{33}",
    ),
    token("twilio.api_key", "SK", "[0-9a-f]", 32),
    assigned("twilio.auth_token", "twilio_?auth_?token|twilio_?token", f"{HEX}{{32}}", entropy=3.2),
    token("sendgrid.api_key", r"SG\.", URLSAFE, 22, suffix=r"\.[A-Za-z0-9_-]{43}"),
    token("mailgun.api_key", "key-", HEX, 32),
    secret(
        "mailchimp.api_key",
        boundary("A-Za-z0-9_-") + r"[0-9a-f]{32}-us[0-9]{1,2}(?![A-Za-z0-9_-])",
        anchor=r"[0-9a-f]{32}-us[0-9]",
    ),
    token("stripe.secret_key", "sk_live_", ALNUM, (24, 99), severity=Severity.CRITICAL),
    token("stripe.test_secret_key", "sk_test_", ALNUM, (24, 99), severity=Severity.LOW),
    token("stripe.restricted_key", "rk_(?:live|test)_", ALNUM, (24, 99)),
    token("stripe.webhook_secret", "whsec_", "[A-Za-z0-9+/]", (32, 64)),
    token("square.access_token", "(?:EAAA|sq0atp-)", URLSAFE, (22, 60)),
    token("square.oauth_secret", "sq0csp-", URLSAFE, 43),
    token("shopify.access_token", "shp(?:at|ca|pa)_", "[a-fA-F0-9]", 32, severity=Severity.CRITICAL),
    token("shopify.shared_secret", "shpss_", "[a-fA-F0-9]", 32),
    secret(
        "braintree.access_token",
        r"access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}",
        anchor=r"access_token\$(?:production|sandbox)\$",
        severity=Severity.CRITICAL,
    ),
    assigned(
        "datadog.api_key",
        "datadog_?api_?key|dd_?api_?key|datadog_?app_?key|dd_?app(?:lication)?_?key",
        f"{HEX}{{32}}|{HEX}{{40}}",
        entropy=3.2,
    ),
    token("sentry.user_token", "sntryu_", HEX, 64),
    token("sentry.org_token", "sntrys_eyJ", "[A-Za-z0-9+/=_-]", (60, 300)),
    token("linear.api_key", "lin_api_", ALNUM, 40),
    token("linear.oauth_token", "lin_oauth_", HEX, 64),
    token("notion.integration_token", "ntn_", "[0-9]", 11, suffix="[A-Za-z0-9]{35}"),
    token("notion.legacy_token", "secret_", ALNUM, 43),
    token("figma.access_token", "figd_", URLSAFE, (40, 48)),
    token("airtable.personal_token", "pat", ALNUM, 14, suffix=r"\.[a-f0-9]{64}"),
    token("postman.api_key", "PMAK-", HEX, 24, suffix="-[a-f0-9]{34}"),
    token("mapbox.secret_token", r"sk\.eyJ", URLSAFE, (50, 120), suffix=r"\.[A-Za-z0-9_-]{20,40}"),
    token("shippo.api_token", "shippo_(?:live|test)_", HEX, 40),
    token("typeform.access_token", "tfp_", "[A-Za-z0-9_.=-]", (44, 60)),
    token("prefect.api_key", "pnu_", ALNUM, 36),
    token("onepassword.service_account_token", "ops_eyJ", "[A-Za-z0-9+/=_-]", (100, 2000)),
    token("contentful.delivery_token", "CFPAT-", URLSAFE, 43),
    assigned("okta.api_token", "okta_?api_?token|okta_?token", f"00{URLSAFE}{{40}}", entropy=3.5),
)
