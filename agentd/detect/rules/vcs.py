"""Source hosting and CI credentials: GitHub, GitLab, Bitbucket, Atlassian, CircleCI,
Buildkite, JFrog and package registries' publish tokens."""

from agentd.detect.rules.shapes import assigned, token
from agentd.events import Severity

ALNUM = "[A-Za-z0-9]"
URLSAFE = "[A-Za-z0-9_-]"
HEX = "[a-f0-9]"

RULES = (
    token("github.pat_classic", "ghp_", ALNUM, 36, severity=Severity.CRITICAL),
    token(
        "github.pat_fine_grained",
        "github_pat_",
        ALNUM,
        22,
        suffix="_[A-Za-z0-9]{59}",
        severity=Severity.CRITICAL,
    ),
    token("github.oauth_token", "gho_", ALNUM, 36),
    token("github.user_to_server_token", "ghu_", ALNUM, 36),
    token("github.server_to_server_token", "ghs_", ALNUM, 36),
    token("github.refresh_token", "ghr_", ALNUM, (36, 76)),
    token("gitlab.pat", "glpat-", "[A-Za-z0-9_.-]", (20, 64), severity=Severity.CRITICAL),
    token("gitlab.pipeline_trigger_token", "glptt-", HEX, 40),
    token("gitlab.runner_token", "glrt-", URLSAFE, (20, 64)),
    token("gitlab.runner_registration_token", "GR1348941", URLSAFE, 20),
    token("gitlab.deploy_token", "gldt-", URLSAFE, (20, 64)),
    token("gitlab.feed_token", "glft-", URLSAFE, 20),
    token("gitlab.oauth_app_secret", "gloas-", HEX, 64),
    token("gitlab.ci_build_token", "glcbt-", URLSAFE, (20, 64)),
    token("bitbucket.app_password", "ATBB", ALNUM, 32),
    token("atlassian.api_token", "ATATT3", "[A-Za-z0-9_=-]", (150, 250)),
    assigned(
        "bitbucket.client_secret",
        "bitbucket_?client_?secret|bitbucket_?secret",
        f"{URLSAFE}{{32,64}}",
        entropy=3.5,
    ),
    token("circleci.personal_token", "CCIPAT_", ALNUM, 22, suffix="_[a-f0-9]{40}"),
    token("buildkite.agent_token", "bkua_", HEX, 40),
    token("jfrog.api_key", "AKCp", ALNUM, 69),
    token("npm.access_token", "npm_", ALNUM, 36, severity=Severity.CRITICAL),
    token("pypi.upload_token", "pypi-AgEIcHlwaS5vcmc", URLSAFE, (50, 300), severity=Severity.CRITICAL),
    token("rubygems.api_key", "rubygems_", HEX, 48),
    token("nuget.api_key", "oy2", "[a-z0-9]", 43),
    token("clojars.deploy_token", "CLOJARS_", "[a-z0-9]", 60),
    token("docker.hub_token", "dckr_(?:pat|oat)_", URLSAFE, (27, 36)),
)
