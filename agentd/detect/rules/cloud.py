"""Cloud provider credentials: AWS, Google Cloud, Azure, Alibaba, DigitalOcean, Cloudflare,
IBM and the infrastructure platforms that hand out long-lived API tokens."""

from agentd.detect.checks import not_digest_or_uuid
from agentd.detect.rules.shapes import assigned, boundary, secret, token
from agentd.events import Severity

B64 = "[A-Za-z0-9+/]"
URLSAFE = "[A-Za-z0-9_-]"
ALNUM = "[A-Za-z0-9]"
HEX = "[a-f0-9]"

RULES = (
    token("aws.access_key_id", "(?:AKIA|ABIA|ACCA)", "[A-Z2-7]", 16, severity=Severity.HIGH),
    token("aws.temporary_access_key_id", "ASIA", "[A-Z2-7]", 16, severity=Severity.MEDIUM),
    assigned(
        "aws.secret_access_key",
        "aws_?secret_?access_?key|aws_?secret_?key|secret_?access_?key",
        f"{B64}{{40}}",
        severity=Severity.CRITICAL,
        entropy=4.0,
        description="the secret half of an AWS key pair, named by its key",
    ),
    assigned(
        "aws.session_token",
        "aws_?session_?token|aws_?security_?token|session_?token",
        f"{B64}{{100,2048}}={{0,2}}",
        severity=Severity.HIGH,
        entropy=4.5,
        priority=95,
    ),
    token("aws.mws_auth_token", r"amzn\.mws\.", "[0-9a-f-]", 36),
    token("gcp.api_key", "AIza", URLSAFE, 35, description="Google Cloud / Google AI (Gemini) API key"),
    token("gcp.oauth_client_secret", "GOCSPX-", URLSAFE, 28),
    token("gcp.oauth_access_token", r"ya29\.", URLSAFE, (30, 2048), severity=Severity.MEDIUM),
    secret(
        "gcp.service_account_key_id",
        r'"private_key_id"[ \t]{0,4}:[ \t]{0,4}"(?P<value>[a-f0-9]{40})"',
        anchor=r'"private_key_id"[ \t]{0,4}:[ \t]{0,4}"[a-f0-9]{40}"',
        severity=Severity.HIGH,
        description="the key id in a service-account JSON file (its private_key is found as a PEM key)",
    ),
    assigned(
        "azure.storage_account_key",
        "AccountKey",
        f"{B64}{{86}}==",
        severity=Severity.CRITICAL,
        entropy=4.5,
    ),
    assigned(
        "azure.shared_access_key",
        "SharedAccessKey|SharedAccessSignatureKey",
        f"{B64}{{43}}=",
        severity=Severity.HIGH,
        entropy=4.0,
        description="Service Bus / Event Hubs / IoT Hub connection-string key",
    ),
    secret(
        "azure.sas_token",
        boundary("A-Za-z0-9") + r"sv=20[0-9]{2}-[0-9]{2}-[0-9]{2}&[A-Za-z0-9%&=:_.,+/-]{0,400}?"
        r"(?<![A-Za-z0-9])sig=(?P<value>[A-Za-z0-9%+/]{40,120}(?:%3[Dd]|=){0,2})(?![A-Za-z0-9%+/=])",
        anchor=r"sv=20[0-9]{2}-[0-9]{2}-[0-9]{2}&",
        severity=Severity.HIGH,
    ),
    secret(
        "azure.client_secret",
        boundary("A-Za-z0-9_~.-")
        + r"(?P<value>[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?![A-Za-z0-9_~.-])",
        anchor="[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31}",
        severity=Severity.HIGH,
    ),
    token("alibaba.access_key_id", "LTAI", ALNUM, (20, 24), severity=Severity.HIGH),
    token("digitalocean.token", "do[opr]_v1_", HEX, 64, severity=Severity.HIGH),
    token("cloudflare.origin_ca_key", r"v1\.0-", "[a-f0-9-]", 171),
    assigned(
        "cloudflare.api_token",
        "cloudflare_?api_?token|cf_?api_?token|cloudflare_?api_?key|cf_?api_?key",
        f"{URLSAFE}{{37,40}}",
        severity=Severity.HIGH,
        checks=(not_digest_or_uuid,),
    ),
    token("heroku.api_key_v2", "HRKU-", URLSAFE, 60),
    assigned(
        "heroku.api_key",
        "heroku_?api_?key|heroku_?token|heroku_?auth_?token",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        severity=Severity.HIGH,
    ),
    token("fly.access_token", "fo1_", URLSAFE, 43),
    token("supabase.service_token", "sbp_", HEX, 40),
    token("planetscale.token", "pscale_(?:tkn|pw|oauth)_", "[A-Za-z0-9_.-]", (32, 64)),
    token("doppler.token", r"dp\.(?:pt|st|sa|scim|audit|ct)\.", ALNUM, (40, 44)),
    token("terraform.cloud_token", rf"{ALNUM}{{14}}\.atlasv1\.", "[A-Za-z0-9_=-]", (60, 70)),
    token("hashicorp.vault_token", r"hv[sb]\.", URLSAFE, (90, 120), severity=Severity.CRITICAL),
    token("pulumi.access_token", "pul-", HEX, 40),
    token("databricks.token", "dapi", HEX, 32, suffix="(?:-[0-9])?"),
    token("grafana.cloud_token", "glc_", "[A-Za-z0-9+/]", (32, 400), suffix="={0,2}"),
    token("grafana.service_account_token", "glsa_", ALNUM, 32, suffix="_[A-Fa-f0-9]{8}"),
    token("newrelic.user_api_key", "NRAK-", "[A-Z0-9]", 27),
    token("newrelic.insert_key", "NRI[IQ]-", URLSAFE, 32),
    token("dynatrace.token", r"dt0c01\.", "[A-Z0-9]", 24, suffix=r"\.[A-Z0-9]{64}"),
)
