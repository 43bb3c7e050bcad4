"""Sensitive file paths: files that hold credentials (cloud and VCS tokens, SSH and GPG keys, kube
and docker configs, registry logins, dotenv files) and files that make code run again later
(shell startup files, cron, launchd, systemd, authorized_keys). Recognised by path shape alone,
so ``~/...``, ``$HOME/...``, absolute and relative spellings all work without knowing the home.
"""

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CredentialPath:
    """A path that matched, and the family it belongs to (``aws``, ``ssh``, ``dotenv``, ...)."""

    path: str
    family: str


# (family, pattern over the normalised path). A pattern matches at a path-segment boundary.
_FILES: tuple[tuple[str, str], ...] = (
    ("aws", r"\.aws/(credentials|sso/cache/[^/]+\.json|cli/cache/[^/]+\.json)"),
    ("ssh", r"\.ssh/(id_[^/]*(?<!\.pub)|[^/]*_(rsa|dsa|ecdsa|ed25519)(?<!\.pub)|identity)"),
    ("gpg", r"\.gnupg/(private-keys-v1\.d/[^/]*|secring\.gpg|trustdb\.gpg)"),
    ("kube", r"\.kube/config|kubeconfig(\.ya?ml)?"),
    ("docker", r"\.docker/config\.json"),
    ("netrc", r"\.netrc|_netrc"),
    ("npm", r"\.npmrc"),
    ("pypi", r"\.pypirc"),
    ("git", r"\.git-credentials|\.config/git/credentials"),
    ("github-cli", r"\.config/gh/hosts\.ya?ml"),
    ("gcloud", r"\.config/gcloud/(credentials\.db|access_tokens\.db|legacy_credentials/.*)"),
    ("gcloud", r"application_default_credentials\.json"),
    ("azure", r"\.azure/(accessTokens\.json|msal_token_cache\.(json|bin)|azureProfile\.json)"),
    ("dotenv", r"\.env(\.[A-Za-z0-9_-]+)?(?<!\.example)(?<!\.sample)(?<!\.template)(?<!\.dist)|\.envrc"),
    ("postgres", r"\.pgpass"),
    ("mysql", r"\.my\.cnf"),
    ("vault", r"\.vault-token"),
    ("terraform", r"\.terraform\.d/credentials\.tfrc\.json|\.terraformrc|terraform\.tfstate(\.backup)?"),
    ("boto", r"\.boto|\.s3cfg"),
    ("cargo", r"\.cargo/credentials(\.toml)?"),
    ("rubygems", r"\.gem/credentials"),
    ("heroku", r"\.config/heroku/credentials"),
    ("claude", r"\.claude/\.credentials\.json"),
    ("codex", r"\.codex/auth\.json"),
    ("gemini", r"\.gemini/oauth_creds\.json"),
    ("keychain", r"Library/Keychains/[^/]+"),
    ("system", r"/etc/(shadow|gshadow|sudoers)"),
    ("private-key", r"[^/]+\.(key|p12|pfx|jks|keystore)|[^/]*(key|private)[^/]*\.pem"),
    ("private-key", r"[^/]*credentials?\.json|service[-_]account[^/]*\.json|secrets?\.ya?ml"),
)

# Directories whose whole content is credentials; reading them recursively reads the keys.
_DIRECTORIES: tuple[tuple[str, str], ...] = (
    ("ssh", r"\.ssh"),
    ("aws", r"\.aws"),
    ("gpg", r"\.gnupg"),
    ("kube", r"\.kube"),
    ("docker", r"\.docker"),
    ("gcloud", r"\.config/gcloud"),
    ("azure", r"\.azure"),
    ("pass", r"\.password-store"),
)

# Public halves and well-known non-secrets that the broad patterns above would catch.
_NOT_SECRET = re.compile(r"(\.pub|known_hosts|authorized_keys|\.ssh/config|package\.json|tsconfig\.json)$")

_FILE_RE = re.compile(
    "|".join(f"(?P<f{i}>(?:^|/)(?:{pattern}))$" for i, (_, pattern) in enumerate(_FILES)), re.IGNORECASE
)
_DIR_RE = re.compile(
    "|".join(f"(?P<d{i}>(?:^|/)(?:{pattern}))(?:/\\*?)?$" for i, (_, pattern) in enumerate(_DIRECTORIES))
)
# Every pattern above needs one of these; most words of a command line have none of them.
_MAYBE = re.compile(r"\.|/etc/|Keychains|kubeconfig|_netrc", re.IGNORECASE)
_HOME_PREFIX = re.compile(r"^(~[^/]*|\$\{?HOME\}?|%USERPROFILE%)(?=/|$)")


def normalise(path: str) -> str:
    """The path with ``~``/``$HOME`` kept symbolic, backslashes as slashes, quotes stripped."""
    cleaned = path.strip().strip("'\"").replace("\\", "/")
    cleaned = _HOME_PREFIX.sub("~", cleaned)
    while "//" in cleaned:
        cleaned = cleaned.replace("//", "/")
    return cleaned.rstrip("/") if len(cleaned) > 1 else cleaned


def credential_file(path: str) -> CredentialPath | None:
    """The credential family of ``path`` when it names a credential file, else None."""
    if not path or len(path) > 4096 or not _MAYBE.search(path):
        return None
    cleaned = normalise(path)
    if _NOT_SECRET.search(cleaned):
        return None
    match = _FILE_RE.search(cleaned)
    if match is None or match.lastgroup is None:
        return None
    return CredentialPath(path=path, family=_FILES[int(match.lastgroup[1:])][0])


def credential_directory(path: str) -> CredentialPath | None:
    """The family of ``path`` when it names a directory of credentials (``~/.ssh``, ``~/.aws/*``)."""
    if not path or len(path) > 4096 or "." not in path:
        return None
    match = _DIR_RE.search(normalise(path))
    if match is None or match.lastgroup is None:
        return None
    return CredentialPath(path=path, family=_DIRECTORIES[int(match.lastgroup[1:])][0])


_PERSISTENCE = re.compile(
    r"(^|/)(\.bashrc|\.bash_profile|\.bash_login|\.profile|\.zshrc|\.zprofile|\.zshenv|\.zlogin|"
    r"\.config/fish/config\.fish|\.ssh/authorized_keys2?|\.config/autostart/[^/]*|"
    r"Library/LaunchAgents/[^/]*|Library/LaunchDaemons/[^/]*|\.git/hooks/[^/]*|\.config/systemd/user/[^/]*)$"
    r"|^/etc/(cron[^/]*|crontab|systemd/system/[^/]*|init\.d/[^/]*|rc\.local|profile\.d/[^/]*|sudoers(\.d/[^/]*)?)"
)


def persistence_file(path: str) -> bool:
    """True when writing ``path`` makes something run again later (startup files, cron, units)."""
    return len(path) <= 4096 and _PERSISTENCE.search(path.replace("\\", "/")) is not None
