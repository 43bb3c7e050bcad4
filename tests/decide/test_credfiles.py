import pytest

from agentd.decide.credfiles import credential_directory, credential_file, normalise, persistence_file


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("~/.aws/credentials", "aws"),
        ("/home/dev/.aws/credentials", "aws"),
        ("$HOME/.aws/sso/cache/abc.json", "aws"),
        ("C:\\Users\\dev\\.aws\\credentials", "aws"),
        ("~/.ssh/id_rsa", "ssh"),
        ("~/.ssh/id_ed25519", "ssh"),
        ("/root/.ssh/deploy_rsa", "ssh"),
        ("~/.kube/config", "kube"),
        ("kubeconfig", "kube"),
        ("C:/Users/dev/_netrc", "netrc"),
        ("~/.docker/config.json", "docker"),
        ("~/.netrc", "netrc"),
        ("~/.npmrc", "npm"),
        ("~/.pypirc", "pypi"),
        ("~/.git-credentials", "git"),
        ("~/.config/gh/hosts.yml", "github-cli"),
        ("~/.config/gcloud/application_default_credentials.json", "gcloud"),
        (".env", "dotenv"),
        ("app/.env.production", "dotenv"),
        (".envrc", "dotenv"),
        ("~/.pgpass", "postgres"),
        ("terraform.tfstate", "terraform"),
        ("server.key", "private-key"),
        ("tls/private-key.pem", "private-key"),
        ("service-account-prod.json", "private-key"),
        ("~/.claude/.credentials.json", "claude"),
        ("~/.codex/auth.json", "codex"),
        ("/etc/shadow", "system"),
        ('"~/.aws/credentials"', "aws"),
    ],
)
def test_credential_files(path: str, family: str) -> None:
    hit = credential_file(path)
    assert hit is not None
    assert hit.family == family
    assert hit.path == path


@pytest.mark.parametrize(
    "path",
    [
        "~/.ssh/id_rsa.pub",
        "~/.ssh/known_hosts",
        "~/.ssh/config",
        ".env.example",
        ".env.sample",
        "prod.env",
        "README.md",
        "/etc/ssl/certs/ca.pem",
        "package.json",
        "src/aws/credentials_helper.py",
        "",
        "x" * 5000,
    ],
)
def test_not_credential_files(path: str) -> None:
    assert credential_file(path) is None


@pytest.mark.parametrize(
    ("path", "family"), [("~/.ssh", "ssh"), ("~/.ssh/", "ssh"), ("~/.ssh/*", "ssh"), ("$HOME/.aws", "aws")]
)
def test_credential_directories(path: str, family: str) -> None:
    hit = credential_directory(path)
    assert hit is not None
    assert hit.family == family


@pytest.mark.parametrize("path", ["~/.sshd", "~/projects", "/", ""])
def test_not_credential_directories(path: str) -> None:
    assert credential_directory(path) is None


@pytest.mark.parametrize(
    ("path", "persistent"),
    [
        ("~/.bashrc", True),
        ("/home/dev/.zshrc", True),
        ("~/.ssh/authorized_keys", True),
        ("~/Library/LaunchAgents/com.x.plist", True),
        ("/etc/cron.d/job", True),
        ("/etc/sudoers.d/dev", True),
        (".git/hooks/pre-commit", True),
        ("~/.bashrc.bak", False),
        ("src/profile.py", False),
    ],
)
def test_persistence_files(path: str, persistent: bool) -> None:
    assert persistence_file(path) is persistent


def test_normalise_keeps_home_symbolic() -> None:
    assert normalise("${HOME}//.aws/") == "~/.aws"
    assert normalise("'~/x'") == "~/x"
