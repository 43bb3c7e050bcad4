import json

import pytest

from agentd.detect import Scanner
from agentd.detect.rules import vcs
from tests.detect.rules.table import assert_nothing_from, assert_secret_sample_found, family_rules, found
from tests.support import secrets


@pytest.mark.parametrize("rule_id", family_rules(vcs))
def test_every_rule_finds_its_sample_in_context(scanner: Scanner, rule_id: str) -> None:
    assert_secret_sample_found(scanner, rule_id)


def _git_remote() -> tuple[str, set[tuple[str, str]]]:
    token = secrets.github_pat("remote")
    return f"git remote set-url origin https://{token}@github.com/acme-corp/api.git", {
        ("secret.github.pat_classic", token)
    }


def _gh_hosts_yaml() -> tuple[str, set[tuple[str, str]]]:
    token = "gh" + "o_" + secrets.body("hosts", 36)
    return f"github.com:\n    user: octocat\n    oauth_token: {token}\n    git_protocol: https\n", {
        ("secret.github.oauth_token", token)
    }


def _npmrc_and_pypirc() -> tuple[str, set[tuple[str, str]]]:
    npm = "np" + "m_" + secrets.body("npmrc", 36)
    pypi = "pypi-" + "AgEIcHlwaS5vcmc" + secrets.body("pypirc", 80, secrets._URLSAFE)
    text = f"//registry.npmjs.org/:_authToken={npm}\n[pypi]\nusername = __token__\npassword = {pypi}\n"
    return text, {("secret.npm.access_token", npm), ("secret.pypi.upload_token", pypi)}


def _tool_call_arguments() -> tuple[str, set[tuple[str, str]]]:
    token = "gl" + "pat-" + secrets.body("args", 20, secrets._URLSAFE)
    args = json.dumps(
        {"command": f"curl --header 'PRIVATE-TOKEN: {token}' https://gitlab.acme-corp.io/api/v4/projects"}
    )
    return args, {("secret.gitlab.pat", token)}


TRUE_POSITIVES = [_git_remote, _gh_hosts_yaml, _npmrc_and_pypirc, _tool_call_arguments]


@pytest.mark.parametrize("build", TRUE_POSITIVES, ids=lambda f: f.__name__)
def test_true_positives(scanner: Scanner, build) -> None:
    text, expected = build()
    assert found(scanner, text) == expected


FALSE_POSITIVES = [
    "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "ghp_" + "A" * 36,
    "token: ghp_EXAMPLEexampleEXAMPLEexampleEXAMPLE1",
    "ghp_tooShort123",
    "GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}",
    "see https://github.com/settings/tokens (starts with ghp_ or github_pat_)",
    "glpat-xxxxxxxxxxxxxxxxxxxx",
    "npm_config_cache=/tmp/npm",
    "npm_package_version=1.2.3",
    "pypi-AgEIcHlwaS5vcmc",
    "refs/heads/ghs_branch",
    "ATBB is the Bitbucket app password prefix",
    "docker login -u ci -p dckr_pat_EXAMPLE",
]


@pytest.mark.parametrize("text", FALSE_POSITIVES)
def test_false_positives(scanner: Scanner, text: str) -> None:
    assert_nothing_from(scanner, vcs, text)
