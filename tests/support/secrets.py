"""Test secrets assembled at run time, so the repository never holds a live-looking token.

Each builder joins a provider prefix with a deterministic body; split literals keep push
scanners (and agentd's own scanner run over the repo) quiet.
"""

import base64
import hashlib
import hmac
import json
import string
from collections.abc import Callable
from dataclasses import dataclass

_ALNUM = string.ascii_letters + string.digits


def body(seed: str, length: int, alphabet: str = _ALNUM) -> str:
    """A deterministic, high-entropy string of ``length`` characters from ``alphabet``."""
    out: list[str] = []
    counter = 0
    while len(out) < length:
        digest = hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        out.extend(alphabet[b % len(alphabet)] for b in digest)
        counter += 1
    return "".join(out[:length])


def password(seed: str = "pw") -> str:
    """A fixture password or token value: letters and digits only, so it needs no URL quoting."""
    return body(seed, 14)


def aws_access_key_id(seed: str = "aws") -> str:
    return "AK" + "IA" + body(seed, 16, string.ascii_uppercase + "234567")


def aws_secret_access_key(seed: str = "aws-secret") -> str:
    return body(seed, 40, _ALNUM + "/+")


def github_pat(seed: str = "gh") -> str:
    return "gh" + "p_" + body(seed, 36)


def anthropic_key(seed: str = "ant") -> str:
    return "sk-" + "ant-" + "api03-" + body(seed, 93, _ALNUM + "-_") + "AA"


def openai_key(seed: str = "oai") -> str:
    return "sk-" + "proj-" + body(seed, 48) + "T3Blbk" + "FJ" + body(seed + "2", 20)


def slack_bot_token(seed: str = "slack") -> str:
    return (
        "xo"
        + "xb-"
        + body(seed, 11, string.digits)
        + "-"
        + body(seed + "b", 12, string.digits)
        + "-"
        + body(seed + "c", 24)
    )


def aws_credentials_file(seed: str = "aws") -> str:
    """The text of a ~/.aws/credentials file with one freshly built key pair."""
    return (
        "[default]\n"
        f"aws_access_key_id = {aws_access_key_id(seed)}\n"
        f"aws_secret_access_key = {aws_secret_access_key(seed)}\n"
    )


# --- One sample per detector rule -------------------------------------------------------------
# Every rule in agentd.detect.rules has an entry in SAMPLES: a builder that takes a seed and
# returns what to plant. The detector tables and the labelled corpus are built from these.


_UPPER = string.ascii_uppercase
_LOWER = string.ascii_lowercase
_HEX = "0123456789abcdef"
_B64 = _ALNUM + "+/"
_URLSAFE = _ALNUM + "-_"
_BASE32 = _UPPER + "234567"


@dataclass(frozen=True)
class Sample:
    """What to plant for one rule.

    ``value`` is what the finding must cover. When the value alone does not say what it is,
    ``key`` names what it is assigned to (rendered as ``KEY=value``, ``key: value``, JSON...);
    ``text`` is a complete snippet when the value only makes sense inside it (URLs, key blocks).
    """

    rule: str
    value: str
    key: str | None = None
    text: str | None = None

    def snippet(self) -> str:
        """The smallest text the rule should find the value in."""
        if self.text is not None:
            return self.text
        if self.key is not None:
            return f"{self.key}={self.value}"
        return self.value


def _n(seed: str, length: int, alphabet: str = _ALNUM) -> str:
    return body(seed, length, alphabet)


def _digits(seed: str, length: int) -> str:
    return body(seed, length, string.digits)


def _token(rule: str, *parts: str) -> Callable[[str], Sample]:
    """A builder for a self-identifying token: literal prefix parts and ``{n:alphabet}`` fields."""

    def build(seed: str) -> Sample:
        out = []
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("}"):
                size, _, alphabet_name = part[1:-1].partition(":")
                alphabet = _ALPHABETS[alphabet_name or "alnum"]
                out.append(body(f"{seed}/{index}", int(size), alphabet))
            else:
                out.append(part)
        return Sample(rule, "".join(out))

    return build


_ALPHABETS = {
    "alnum": _ALNUM,
    "hex": _HEX,
    "HEX": _HEX.upper(),
    "b64": _B64,
    "url": _URLSAFE,
    "upper": _UPPER,
    "UPNUM": _UPPER + string.digits,
    "lower": _LOWER,
    "lownum": _LOWER + string.digits,
    "alpha": string.ascii_letters,
    "digits": string.digits,
    "base32": _BASE32,
    "bech32": "qpzry9x8gf2tvdw0s3jn54khce6mua7l".upper(),
}


def _keyed(rule: str, key: str, length: int, alphabet: str = _ALNUM, head: str = "", tail: str = ""):
    def build(seed: str) -> Sample:
        return Sample(rule, head + body(seed, length, alphabet) + tail, key=key)

    return build


def _uuid(seed: str) -> str:
    h = body(seed, 32, _HEX)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"


def _pem(label: str, der: bytes) -> str:
    encoded = base64.b64encode(der).decode()
    lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----"


def _der(seed: str, size: int, head: bytes = b"\x02\x01\x00") -> bytes:
    """A DER SEQUENCE of ``size`` content bytes (version 0, then deterministic filler)."""
    filler = hashlib.shake_256(seed.encode()).digest(size - len(head))
    content = head + filler
    return b"\x30\x82" + len(content).to_bytes(2, "big") + content


def private_key_pem(seed: str = "rsa", label: str = "RSA PRIVATE KEY", size: int = 1190) -> str:
    """A private-key PEM block whose body is well-formed DER of a plausible size (not a real key)."""
    if label == "OPENSSH PRIVATE KEY":
        blob = b"openssh-key-v1\x00" + hashlib.shake_256(seed.encode()).digest(size)
        return _pem(label, blob)
    if label == "PGP PRIVATE KEY BLOCK":
        blob = b"\x95\x03\xc6" + hashlib.shake_256(seed.encode()).digest(size)
        crc = "=" + _n(seed + "crc", 4, _B64)
        encoded = base64.b64encode(blob).decode()
        lines = [encoded[i : i + 64] for i in range(0, len(encoded), 64)]
        return f"-----BEGIN {label}-----\n\n" + "\n".join(lines) + f"\n{crc}\n-----END {label}-----"
    return _pem(label, _der(seed, size))


def _pem_sample(rule: str, label: str, size: int) -> Callable[[str], Sample]:
    def build(seed: str) -> Sample:
        block = private_key_pem(seed, label, size)
        return Sample(rule, block, text=block)

    return build


def _putty(seed: str) -> Sample:
    public = base64.b64encode(hashlib.shake_256((seed + "pub").encode()).digest(51)).decode()
    private = base64.b64encode(hashlib.shake_256((seed + "prv").encode()).digest(48)).decode()
    block = (
        "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: deploy@build\n"
        f"Public-Lines: 2\n{public[:64]}\n{public[64:]}\nPrivate-Lines: 1\n{private}\n"
        f"Private-MAC: {_n(seed, 64, _HEX)}"
    )
    value = block[: block.index("Private-Lines: 1") + len("Private-Lines: 1")]
    return Sample("secret.private_key.putty", value, text=block)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(seed: str = "jwt") -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": _digits(seed, 10), "name": _n(seed + "n", 8, _LOWER), "iat": 1716239022}
    payload = _b64url(json.dumps(claims).encode())
    signature = _b64url(hmac.new(seed.encode(), f"{header}.{payload}".encode(), "sha256").digest())
    return f"{header}.{payload}.{signature}"


def _url_password(seed: str) -> str:
    return _n(seed, 14, _ALNUM + "_.~-")


def _url(rule: str, scheme: str, host: str, port: int, path: str) -> Callable[[str], Sample]:
    def build(seed: str) -> Sample:
        password = _url_password(seed)
        user = ("svc_" + _n(seed + "u", 5, _LOWER)) if len(seed) % 2 else "admin"
        return Sample(rule, password, text=f"{scheme}://{user}:{password}@{host}:{port}{path}")

    return build


def _slack_webhook(seed: str) -> Sample:
    value = "B" + _n(seed, 10, _UPPER + string.digits) + "/" + _n(seed + "s", 24)
    team = "T" + _n(seed + "t", 10, _UPPER + string.digits)
    return Sample("secret.slack.webhook_url", value, text=f"https://hooks.slack.com/services/{team}/{value}")


def _discord_webhook(seed: str) -> Sample:
    value = _n(seed, 68, _URLSAFE)
    return Sample(
        "secret.discord.webhook_url",
        value,
        text=f"https://discord.com/api/webhooks/{_digits(seed, 18)}/{value}",
    )


def _teams_webhook(seed: str) -> Sample:
    value = _n(seed, 32, _HEX)
    text = (
        f"https://acmecorp.webhook.office.com/webhookb2/{_uuid(seed + 'a')}@{_uuid(seed + 'b')}/"
        f"IncomingWebhook/{value}/{_uuid(seed + 'c')}"
    )
    return Sample("secret.microsoft.teams_webhook_url", value, text=text)


def _bearer(seed: str) -> Sample:
    value = _n(seed, 40, _URLSAFE + ".")
    return Sample("secret.http.bearer_token", value, text=f"Authorization: Bearer {value}")


def _basic_header(seed: str) -> Sample:
    creds = f"deploy:{_n(seed, 16)}"
    value = base64.b64encode(creds.encode()).decode()
    return Sample("secret.http.basic_auth_header", value, text=f"Authorization: Basic {value}")


def _cli_password(seed: str) -> Sample:
    value = _n(seed, 16, _ALNUM + "!@#%^*_+=")
    return Sample("secret.cli.password_argument", value, text=f"mysqladmin --password={value} status")


def _curl_user(seed: str) -> Sample:
    value = _n(seed, 14, _ALNUM + "!@#%^*_+=")
    return Sample(
        "secret.cli.curl_user_password", value, text=f"curl -u deploy:{value} https://ci.acme-corp.io/api"
    )


def _azure_sas(seed: str) -> Sample:
    signature = _n(seed, 43, _B64) + "="
    value = signature.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    text = (
        "https://acmestore.blob.core.windows.net/backups?sv=2022-11-02&ss=bfqt&srt=sco&sp=rwdlacupx"
        f"&se=2025-12-31T23:59:59Z&st=2024-01-01T00:00:00Z&spr=https&sig={value}"
    )
    return Sample("secret.azure.sas_token", value, text=text)


def _azure_storage(seed: str) -> Sample:
    value = _n(seed, 86, _B64) + "=="
    text = (
        "DefaultEndpointsProtocol=https;AccountName=acmestore;"
        f"AccountKey={value};EndpointSuffix=core.windows.net"
    )
    return Sample("secret.azure.storage_account_key", value, text=text)


def _azure_sb(seed: str) -> Sample:
    value = _n(seed, 43, _B64) + "="
    text = (
        "Endpoint=sb://acme-bus.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;"
        f"SharedAccessKey={value}"
    )
    return Sample("secret.azure.shared_access_key", value, text=text)


def _azure_client_secret(seed: str) -> Sample:
    value = _n(seed, 3, _ALNUM) + _digits(seed, 1) + "Q~" + _n(seed + "b", 34, _ALNUM + "_~.-")
    return Sample("secret.azure.client_secret", value)


def _gcp_sa(seed: str) -> Sample:
    value = _n(seed, 40, _HEX)
    text = json.dumps(
        {"type": "service_account", "project_id": "acme-prod", "private_key_id": value}, indent=2
    )
    return Sample("secret.gcp.service_account_key_id", value, text=text)


def _netrc(seed: str) -> Sample:
    value = _n(seed, 20, _ALNUM + "!@#%")
    return Sample(
        "secret.netrc.password", value, text=f"machine git.acme-corp.io\n  login ci-bot\n  password {value}\n"
    )


def _npmrc(seed: str) -> Sample:
    value = _n(seed, 40, _URLSAFE)
    return Sample("secret.npmrc.auth_token", value, text=f"//npm.acme-corp.io/:_authToken={value}")


def _docker_auth(seed: str) -> Sample:
    value = base64.b64encode(f"acme-ci:{_n(seed, 24)}".encode()).decode()
    text = json.dumps({"auths": {"registry.acme-corp.io": {"auth": value}}}, indent=2)
    return Sample("secret.docker.config_auth", value, text=text)


def _kube_key(seed: str) -> Sample:
    value = base64.b64encode(private_key_pem(seed, "EC PRIVATE KEY", 117).encode()).decode()
    return Sample("secret.kubernetes.client_key_data", value, text=f"    client-key-data: {value}\n")


def _braintree(seed: str) -> Sample:
    value = f"access_token$production${_n(seed, 16, _LOWER + string.digits)}${_n(seed + 'b', 32, _HEX)}"
    return Sample("secret.braintree.access_token", value)


def _mailchimp(seed: str) -> Sample:
    return Sample("secret.mailchimp.api_key", _n(seed, 32, _HEX) + "-us" + str(len(seed) % 20 + 1))


def _discord_bot(seed: str) -> Sample:
    value = (
        "M" + _n(seed, 25, _URLSAFE) + "." + _n(seed + "b", 6, _URLSAFE) + "." + _n(seed + "c", 38, _URLSAFE)
    )
    return Sample("secret.discord.bot_token", value)


def _telegram(seed: str) -> Sample:
    return Sample("secret.telegram.bot_token", _digits(seed, 10) + ":AA" + _n(seed, 33, _URLSAFE))


def _password(seed: str) -> Sample:
    keys = ("DB_PASSWORD", "password", "admin_password", "SMTP_PASS" + "WORD", "redis_passwd")
    # A letters-only value reads as an identifier to the rule, so a digit is always part of it.
    value = _n(seed, 11 + len(seed) % 8, _ALNUM + "!@#%^*_+=-") + _digits(seed, 1)
    return Sample("secret.generic.password", value, key=keys[len(seed) % len(keys)])


def _generic_secret(seed: str) -> Sample:
    keys = ("API_SECRET", "client_secret", "signing_key", "WEBHOOK_TOKEN", "internal_api_key", "SECRET_KEY")
    return Sample("secret.generic.secret", _n(seed, 32, _URLSAFE), key=keys[len(seed) % len(keys)])


def _aws_session(seed: str) -> Sample:
    value = "IQoJb3JpZ2luX2VjE" + _n(seed, 300, _B64) + "=="
    return Sample("secret.aws.session_token", value, key="aws_session_token")


SAMPLES: dict[str, Callable[[str], Sample]] = {
    # cloud
    "secret.aws.access_key_id": lambda s: Sample("secret.aws.access_key_id", aws_access_key_id(s)),
    "secret.aws.temporary_access_key_id": _token(
        "secret.aws.temporary_access_key_id", "AS" + "IA", "{16:base32}"
    ),
    "secret.aws.secret_access_key": lambda s: Sample(
        "secret.aws.secret_access_key", aws_secret_access_key(s), key="aws_secret_access_key"
    ),
    "secret.aws.session_token": _aws_session,
    "secret.aws.mws_auth_token": lambda s: Sample("secret.aws.mws_auth_token", "amzn.mws." + _uuid(s)),
    "secret.gcp.api_key": _token("secret.gcp.api_key", "AI" + "za", "{35:url}"),
    "secret.gcp.oauth_client_secret": _token("secret.gcp.oauth_client_secret", "GOC" + "SPX-", "{28:url}"),
    "secret.gcp.oauth_access_token": _token("secret.gcp.oauth_access_token", "ya" + "29.", "{120:url}"),
    "secret.gcp.service_account_key_id": _gcp_sa,
    "secret.azure.storage_account_key": _azure_storage,
    "secret.azure.shared_access_key": _azure_sb,
    "secret.azure.sas_token": _azure_sas,
    "secret.azure.client_secret": _azure_client_secret,
    "secret.alibaba.access_key_id": _token("secret.alibaba.access_key_id", "LT" + "AI", "{20}"),
    "secret.digitalocean.token": _token("secret.digitalocean.token", "do" + "p_v1_", "{64:hex}"),
    "secret.cloudflare.origin_ca_key": _token(
        "secret.cloudflare.origin_ca_key", "v1" + ".0-", "{24:hex}", "-", "{146:hex}"
    ),
    "secret.cloudflare.api_token": _keyed(
        "secret.cloudflare.api_token", "CLOUDFLARE_API_TOKEN", 40, _URLSAFE
    ),
    "secret.heroku.api_key_v2": _token("secret.heroku.api_key_v2", "HR" + "KU-", "{60:url}"),
    "secret.heroku.api_key": lambda s: Sample("secret.heroku.api_key", _uuid(s), key="HEROKU_API_KEY"),
    "secret.fly.access_token": _token("secret.fly.access_token", "fo" + "1_", "{43:url}"),
    "secret.supabase.service_token": _token("secret.supabase.service_token", "sb" + "p_", "{40:hex}"),
    "secret.planetscale.token": _token("secret.planetscale.token", "pscale" + "_tkn_", "{43:url}"),
    "secret.doppler.token": _token("secret.doppler.token", "dp" + ".pt.", "{43}"),
    "secret.terraform.cloud_token": _token(
        "secret.terraform.cloud_token", "{14}", ".atlas" + "v1.", "{67:url}"
    ),
    "secret.hashicorp.vault_token": _token("secret.hashicorp.vault_token", "hv" + "s.", "{95:url}"),
    "secret.pulumi.access_token": _token("secret.pulumi.access_token", "pu" + "l-", "{40:hex}"),
    "secret.databricks.token": _token("secret.databricks.token", "da" + "pi", "{32:hex}"),
    "secret.grafana.cloud_token": _token("secret.grafana.cloud_token", "gl" + "c_", "{80}", "=="),
    "secret.grafana.service_account_token": _token(
        "secret.grafana.service_account_token", "gl" + "sa_", "{32}", "_", "{8:hex}"
    ),
    "secret.newrelic.user_api_key": _token("secret.newrelic.user_api_key", "NR" + "AK-", "{27:UPNUM}"),
    "secret.newrelic.insert_key": _token("secret.newrelic.insert_key", "NR" + "II-", "{32:url}"),
    "secret.dynatrace.token": _token(
        "secret.dynatrace.token", "dt0" + "c01.", "{24:UPNUM}", ".", "{64:UPNUM}"
    ),
    # vcs, ci and registries
    "secret.github.pat_classic": lambda s: Sample("secret.github.pat_classic", github_pat(s)),
    "secret.github.pat_fine_grained": _token(
        "secret.github.pat_fine_grained", "github" + "_pat_", "{22}", "_", "{59}"
    ),
    "secret.github.oauth_token": _token("secret.github.oauth_token", "gh" + "o_", "{36}"),
    "secret.github.user_to_server_token": _token("secret.github.user_to_server_token", "gh" + "u_", "{36}"),
    "secret.github.server_to_server_token": _token(
        "secret.github.server_to_server_token", "gh" + "s_", "{36}"
    ),
    "secret.github.refresh_token": _token("secret.github.refresh_token", "gh" + "r_", "{76}"),
    "secret.gitlab.pat": _token("secret.gitlab.pat", "gl" + "pat-", "{20:url}"),
    "secret.gitlab.pipeline_trigger_token": _token(
        "secret.gitlab.pipeline_trigger_token", "gl" + "ptt-", "{40:hex}"
    ),
    "secret.gitlab.runner_token": _token("secret.gitlab.runner_token", "gl" + "rt-", "{20:url}"),
    "secret.gitlab.runner_registration_token": _token(
        "secret.gitlab.runner_registration_token", "GR13" + "48941", "{20:url}"
    ),
    "secret.gitlab.deploy_token": _token("secret.gitlab.deploy_token", "gl" + "dt-", "{20:url}"),
    "secret.gitlab.feed_token": _token("secret.gitlab.feed_token", "gl" + "ft-", "{20:url}"),
    "secret.gitlab.oauth_app_secret": _token("secret.gitlab.oauth_app_secret", "gl" + "oas-", "{64:hex}"),
    "secret.gitlab.ci_build_token": _token("secret.gitlab.ci_build_token", "gl" + "cbt-", "{24:url}"),
    "secret.bitbucket.app_password": _token("secret.bitbucket.app_password", "AT" + "BB", "{32}"),
    "secret.atlassian.api_token": _token("secret.atlassian.api_token", "ATA" + "TT3", "{180:url}"),
    "secret.bitbucket.client_secret": _keyed("secret.bitbucket.client_secret", "BITBUCKET_CLIENT_SECRET", 32),
    "secret.circleci.personal_token": _token(
        "secret.circleci.personal_token", "CCI" + "PAT_", "{22}", "_", "{40:hex}"
    ),
    "secret.buildkite.agent_token": _token("secret.buildkite.agent_token", "bk" + "ua_", "{40:hex}"),
    "secret.jfrog.api_key": _token("secret.jfrog.api_key", "AK" + "Cp", "{69}"),
    "secret.npm.access_token": _token("secret.npm.access_token", "np" + "m_", "{36}"),
    "secret.pypi.upload_token": _token("secret.pypi.upload_token", "pypi-" + "AgEIcHlwaS5vcmc", "{120:url}"),
    "secret.rubygems.api_key": _token("secret.rubygems.api_key", "ruby" + "gems_", "{48:hex}"),
    "secret.nuget.api_key": _token("secret.nuget.api_key", "oy" + "2", "{43:lownum}"),
    "secret.clojars.deploy_token": _token("secret.clojars.deploy_token", "CLO" + "JARS_", "{60:lownum}"),
    "secret.docker.hub_token": _token("secret.docker.hub_token", "dckr" + "_pat_", "{27:url}"),
    # LLM providers
    "secret.anthropic.api_key": lambda s: Sample("secret.anthropic.api_key", anthropic_key(s)),
    "secret.anthropic.admin_key": _token(
        "secret.anthropic.admin_key", "sk-" + "ant-admin01-", "{93:url}", "AA"
    ),
    "secret.anthropic.oauth_token": _token("secret.anthropic.oauth_token", "sk-" + "ant-oat01-", "{95:url}"),
    "secret.openai.project_key": lambda s: Sample("secret.openai.project_key", openai_key(s)),
    "secret.openai.service_account_key": _token(
        "secret.openai.service_account_key", "sk-" + "svcacct-", "{74:url}"
    ),
    "secret.openai.admin_key": _token("secret.openai.admin_key", "sk-" + "admin-", "{74:url}"),
    "secret.openai.api_key": _token("secret.openai.api_key", "sk-", "{20}", "T3Blbk" + "FJ", "{20}"),
    "secret.huggingface.token": _token("secret.huggingface.token", "h" + "f_", "{34:alpha}"),
    "secret.huggingface.org_token": _token("secret.huggingface.org_token", "api" + "_org_", "{34:alpha}"),
    "secret.groq.api_key": _token("secret.groq.api_key", "gs" + "k_", "{52}"),
    "secret.replicate.api_token": _token("secret.replicate.api_token", "r" + "8_", "{37}"),
    "secret.perplexity.api_key": _token("secret.perplexity.api_key", "pp" + "lx-", "{48}"),
    "secret.xai.api_key": _token("secret.xai.api_key", "xa" + "i-", "{80}"),
    "secret.openrouter.api_key": _token("secret.openrouter.api_key", "sk-" + "or-v1-", "{64:hex}"),
    "secret.langsmith.api_key": _token(
        "secret.langsmith.api_key", "lsv2" + "_pt_", "{32:hex}", "_", "{10:hex}"
    ),
    "secret.elevenlabs.api_key": _token("secret.elevenlabs.api_key", "s" + "k_", "{48:hex}"),
    # SaaS
    "secret.slack.bot_token": lambda s: Sample("secret.slack.bot_token", slack_bot_token(s)),
    "secret.slack.user_token": _token(
        "secret.slack.user_token",
        "xo" + "xp-",
        "{11:digits}",
        "-",
        "{12:digits}",
        "-",
        "{13:digits}",
        "-",
        "{32:hex}",
    ),
    "secret.slack.app_token": _token(
        "secret.slack.app_token", "xa" + "pp-1-", "{11:UPNUM}", "-", "{13:digits}", "-", "{64:hex}"
    ),
    "secret.slack.config_token": _token("secret.slack.config_token", "xo" + "xe.xoxp-1-", "{160}"),
    "secret.slack.refresh_token": _token("secret.slack.refresh_token", "xo" + "xe-1-", "{150}"),
    "secret.slack.legacy_token": _token(
        "secret.slack.legacy_token", "xo" + "xa-", "{11:digits}", "-", "{32}"
    ),
    "secret.discord.bot_token": _discord_bot,
    "secret.telegram.bot_token": _telegram,
    "secret.twilio.api_key": _token("secret.twilio.api_key", "S" + "K", "{32:hex}"),
    "secret.twilio.auth_token": _keyed("secret.twilio.auth_token", "TWILIO_AUTH_TOKEN", 32, _HEX),
    "secret.sendgrid.api_key": _token("secret.sendgrid.api_key", "S" + "G.", "{22:url}", ".", "{43:url}"),
    "secret.mailgun.api_key": _token("secret.mailgun.api_key", "ke" + "y-", "{32:hex}"),
    "secret.mailchimp.api_key": _mailchimp,
    "secret.stripe.secret_key": _token("secret.stripe.secret_key", "sk" + "_live_", "{48}"),
    "secret.stripe.test_secret_key": _token("secret.stripe.test_secret_key", "sk" + "_test_", "{48}"),
    "secret.stripe.restricted_key": _token("secret.stripe.restricted_key", "rk" + "_live_", "{48}"),
    "secret.stripe.webhook_secret": _token("secret.stripe.webhook_secret", "wh" + "sec_", "{32}"),
    "secret.square.access_token": _token("secret.square.access_token", "EA" + "AA", "{60:url}"),
    "secret.square.oauth_secret": _token("secret.square.oauth_secret", "sq0" + "csp-", "{43:url}"),
    "secret.shopify.access_token": _token("secret.shopify.access_token", "sh" + "pat_", "{32:hex}"),
    "secret.shopify.shared_secret": _token("secret.shopify.shared_secret", "sh" + "pss_", "{32:hex}"),
    "secret.braintree.access_token": _braintree,
    "secret.datadog.api_key": _keyed("secret.datadog.api_key", "DD_API_KEY", 32, _HEX),
    "secret.sentry.user_token": _token("secret.sentry.user_token", "sntr" + "yu_", "{64:hex}"),
    "secret.sentry.org_token": _token("secret.sentry.org_token", "sntr" + "ys_eyJ", "{120:url}"),
    "secret.linear.api_key": _token("secret.linear.api_key", "lin" + "_api_", "{40}"),
    "secret.linear.oauth_token": _token("secret.linear.oauth_token", "lin" + "_oauth_", "{64:hex}"),
    "secret.notion.integration_token": _token(
        "secret.notion.integration_token", "nt" + "n_", "{11:digits}", "{35}"
    ),
    "secret.notion.legacy_token": _token("secret.notion.legacy_token", "sec" + "ret_", "{43}"),
    "secret.figma.access_token": _token("secret.figma.access_token", "fi" + "gd_", "{40:url}"),
    "secret.airtable.personal_token": _token(
        "secret.airtable.personal_token", "pa" + "t", "{14}", ".", "{64:hex}"
    ),
    "secret.postman.api_key": _token("secret.postman.api_key", "PM" + "AK-", "{24:hex}", "-", "{34:hex}"),
    "secret.mapbox.secret_token": _token(
        "secret.mapbox.secret_token", "sk" + ".eyJ", "{70:url}", ".", "{22:url}"
    ),
    "secret.shippo.api_token": _token("secret.shippo.api_token", "shippo" + "_live_", "{40:hex}"),
    "secret.typeform.access_token": _token("secret.typeform.access_token", "tf" + "p_", "{59:url}"),
    "secret.prefect.api_key": _token("secret.prefect.api_key", "pn" + "u_", "{36}"),
    "secret.onepassword.service_account_token": _token(
        "secret.onepassword.service_account_token", "op" + "s_eyJ", "{300:url}"
    ),
    "secret.contentful.delivery_token": _token("secret.contentful.delivery_token", "CF" + "PAT-", "{43:url}"),
    "secret.okta.api_token": _keyed("secret.okta.api_token", "OKTA_API_TOKEN", 40, _URLSAFE, head="00"),
    # keys and tokens
    "secret.private_key.rsa": _pem_sample("secret.private_key.rsa", "RSA PRIVATE KEY", 1190),
    "secret.private_key.ec": _pem_sample("secret.private_key.ec", "EC PRIVATE KEY", 117),
    "secret.private_key.dsa": _pem_sample("secret.private_key.dsa", "DSA PRIVATE KEY", 440),
    "secret.private_key.openssh": _pem_sample("secret.private_key.openssh", "OPENSSH PRIVATE KEY", 380),
    "secret.private_key.pkcs8": _pem_sample("secret.private_key.pkcs8", "PRIVATE KEY", 1214),
    "secret.private_key.pkcs8_encrypted": _pem_sample(
        "secret.private_key.pkcs8_encrypted", "ENCRYPTED PRIVATE KEY", 1290
    ),
    "secret.private_key.pgp": _pem_sample("secret.private_key.pgp", "PGP PRIVATE KEY BLOCK", 900),
    "secret.private_key.putty": _putty,
    "secret.private_key.age": _token("secret.private_key.age", "AGE-SECRET-" + "KEY-1", "{58:bech32}"),
    "secret.jwt": lambda s: Sample("secret.jwt", jwt(s)),
    # URLs and command lines
    "secret.url.database_password": _url(
        "secret.url.database_password", "postgresql", "db.acme-corp.io", 5432, "/app"
    ),
    "secret.url.broker_password": _url(
        "secret.url.broker_password", "amqps", "mq.acme-corp.io", 5671, "/prod"
    ),
    "secret.url.basic_auth": _url("secret.url.basic_auth", "https", "artifacts.acme-corp.io", 443, "/repo"),
    "secret.slack.webhook_url": _slack_webhook,
    "secret.discord.webhook_url": _discord_webhook,
    "secret.microsoft.teams_webhook_url": _teams_webhook,
    "secret.http.bearer_token": _bearer,
    "secret.http.basic_auth_header": _basic_header,
    "secret.cli.password_argument": _cli_password,
    "secret.cli.curl_user_password": _curl_user,
    # generic and credential files
    "secret.generic.password": _password,
    "secret.generic.secret": _generic_secret,
    "secret.netrc.password": _netrc,
    "secret.npmrc.auth_token": _npmrc,
    "secret.docker.config_auth": _docker_auth,
    "secret.kubernetes.client_key_data": _kube_key,
}
