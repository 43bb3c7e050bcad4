"""The built-in catalog data: agents' own tools, well-known MCP integrations, and the words that
classify tools nobody listed (verbs in the name, argument names in the schema).

Data only; ``catalog.py`` applies it. Capabilities and argument roles are plain strings here so
the tables read like the documentation they mirror.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

# Capability names (catalog.Capability mirrors them).
PRIVATE = "reads_private"
UNTRUSTED = "reads_untrusted"
SENDS = "sends_external"
WRITES = "writes_local"
EXECUTES = "executes_code"
DESTRUCTIVE = "destructive"
CREDENTIALS = "reads_credentials"


@dataclass(frozen=True, slots=True)
class Entry:
    """One agent tool: its capabilities, which argument plays which role, and a risk hint."""

    capabilities: frozenset[str]
    roles: Mapping[str, str] = field(default_factory=dict)
    shell: bool = False  # the ``command`` argument is shell text (or an argv list)
    patch: bool = False  # the ``command``/``input`` argument is an apply_patch document
    risk: int | None = None


def _e(
    *caps: str, runs_shell: bool = False, patch: bool = False, risk: int | None = None, **roles: str
) -> Entry:
    return Entry(capabilities=frozenset(caps), roles=roles, shell=runs_shell, patch=patch, risk=risk)


def _set(text: str) -> frozenset[str]:
    return frozenset(text.split())


_SHELL = _e(EXECUTES, command="command", runs_shell=True)
_READ = _e(PRIVATE, file_path="path", path="path", absolute_path="path")
_WRITE = _e(WRITES, file_path="path", path="path", absolute_path="path", content="content")
_EDIT = _e(WRITES, PRIVATE, file_path="path", path="path", absolute_path="path")
_SEARCH_FILES = _e(PRIVATE, path="path", dir_path="path", pattern="query", query="query")
_WEB_FETCH = _e(UNTRUSTED, SENDS, url="url", prompt="content")
_WEB_SEARCH = _e(UNTRUSTED, SENDS, query="query")
_NONE = _e(risk=0)

# Built-in tools of each agent, keyed by agent integration then by the tool's exact name.
AGENT_TOOLS: Mapping[str, Mapping[str, Entry]] = {
    "claude-code": {
        "Bash": _SHELL,
        "BashOutput": _NONE,
        "KillShell": _NONE,
        "KillBash": _NONE,
        "Read": _READ,
        "Write": _WRITE,
        "Edit": _EDIT,
        "MultiEdit": _EDIT,
        "NotebookEdit": _e(WRITES, PRIVATE, notebook_path="path"),
        "NotebookRead": _e(PRIVATE, notebook_path="path"),
        "Glob": _SEARCH_FILES,
        "Grep": _SEARCH_FILES,
        "LS": _e(PRIVATE, path="path"),
        "WebFetch": _WEB_FETCH,
        "WebSearch": _WEB_SEARCH,
        "Task": _e(risk=5),
        "Agent": _e(risk=5),
        "TodoWrite": _NONE,
        "ExitPlanMode": _NONE,
        "SlashCommand": _e(risk=5),
        "Skill": _e(risk=5),
        "ListMcpResourcesTool": _e(PRIVATE),
        "ReadMcpResourceTool": _e(PRIVATE, UNTRUSTED, uri="url"),
    },
    "codex": {
        "shell": _SHELL,
        "Bash": _SHELL,
        "exec_command": _e(EXECUTES, cmd="command", command="command", runs_shell=True),
        "local_shell": _SHELL,
        "unified_exec": _SHELL,
        "container.exec": _SHELL,
        "write_stdin": _e(EXECUTES, chars="content"),
        "apply_patch": _e(WRITES, PRIVATE, input="patch", command="patch", patch=True),
        "update_plan": _NONE,
        "view_image": _e(PRIVATE, path="path"),
        "web_search": _WEB_SEARCH,
    },
    "gemini-cli": {
        "run_shell_command": _e(EXECUTES, command="command", directory="path", runs_shell=True),
        "read_file": _READ,
        "read_many_files": _e(PRIVATE, paths="path", include="path"),
        "write_file": _WRITE,
        "replace": _EDIT,
        "list_directory": _e(PRIVATE, path="path", dir_path="path"),
        "glob": _SEARCH_FILES,
        "search_file_content": _SEARCH_FILES,
        "grep": _SEARCH_FILES,
        "web_fetch": _WEB_FETCH,
        "google_web_search": _WEB_SEARCH,
        "save_memory": _e(WRITES, fact="content"),
    },
    "cursor": {
        "Shell": _SHELL,
        "run_terminal_cmd": _SHELL,
        "terminal": _SHELL,
        "Read": _READ,
        "read_file": _e(PRIVATE, target_file="path", file_path="path"),
        "Write": _WRITE,
        "edit_file": _e(WRITES, PRIVATE, target_file="path", file_path="path"),
        "delete_file": _e(WRITES, DESTRUCTIVE, target_file="path", file_path="path"),
        "list_dir": _e(PRIVATE, relative_workspace_path="path"),
        "file_search": _e(PRIVATE, query="query"),
        "grep_search": _e(PRIVATE, query="query", include_pattern="path"),
        "codebase_search": _e(PRIVATE, query="query"),
        "web_search": _WEB_SEARCH,
    },
}


@dataclass(frozen=True, slots=True)
class Integration:
    """A family of MCP servers: what reading, writing and deleting through it means."""

    name: str
    aliases: tuple[str, ...]  # words in a server name that identify it
    reads: frozenset[str]
    writes: frozenset[str]
    deletes: frozenset[str]
    roles: Mapping[str, str] = field(default_factory=dict)
    tools: Mapping[str, Entry] = field(default_factory=dict)  # exceptions to the verb rule
    email: bool = False  # reading through it reveals a thread's participants


def _i(
    name: str,
    aliases: tuple[str, ...],
    reads: tuple[str, ...],
    writes: tuple[str, ...],
    deletes: tuple[str, ...] = (DESTRUCTIVE,),
    *,
    roles: Mapping[str, str] | None = None,
    tools: Mapping[str, Entry] | None = None,
    email: bool = False,
) -> Integration:
    return Integration(
        name,
        aliases,
        frozenset(reads),
        frozenset(writes),
        frozenset(deletes),
        roles=roles or {},
        tools=tools or {},
        email=email,
    )


_RECIPIENTS = {"to": "recipients", "cc": "recipients", "bcc": "recipients", "recipients": "recipients"}
_DRAFT = Entry(capabilities=frozenset({PRIVATE}), roles=_RECIPIENTS)  # a draft stays in the mailbox

INTEGRATIONS: tuple[Integration, ...] = (
    _i("github", ("github", "gh"), (PRIVATE, UNTRUSTED), (SENDS,), (DESTRUCTIVE, SENDS)),
    _i("gitlab", ("gitlab",), (PRIVATE, UNTRUSTED), (SENDS,), (DESTRUCTIVE, SENDS)),
    _i("bitbucket", ("bitbucket",), (PRIVATE, UNTRUSTED), (SENDS,), (DESTRUCTIVE, SENDS)),
    _i(
        "slack",
        ("slack", "discord", "teams", "telegram", "whatsapp", "mattermost"),
        (PRIVATE, UNTRUSTED),
        (SENDS,),
        (DESTRUCTIVE, SENDS),
        roles={
            "channel": "recipients",
            "channel_id": "recipients",
            "user": "recipients",
            "users": "recipients",
        },
    ),
    _i(
        "email",
        ("gmail", "email", "mail", "outlook", "imap", "smtp", "fastmail", "protonmail", "mailbox"),
        (PRIVATE, UNTRUSTED),
        (SENDS,),
        (DESTRUCTIVE,),
        roles=_RECIPIENTS,
        email=True,
        tools={"create_draft": _DRAFT, "draft_email": _DRAFT},
    ),
    _i(
        "google-drive",
        ("gdrive", "drive", "onedrive", "dropbox", "box", "sharepoint", "gdocs", "docs", "sheets"),
        (PRIVATE,),
        (SENDS,),
    ),
    _i("notion", ("notion", "confluence", "coda", "quip"), (PRIVATE, UNTRUSTED), (SENDS,)),
    _i(
        "issues",
        ("linear", "jira", "atlassian", "asana", "trello", "clickup", "shortcut", "youtrack"),
        (PRIVATE, UNTRUSTED),
        (SENDS,),
    ),
    _i(
        "filesystem",
        ("filesystem", "fs", "files"),
        (PRIVATE,),
        (WRITES,),
        (DESTRUCTIVE, WRITES),
        roles={"path": "path", "paths": "path", "source": "path", "destination": "path"},
    ),
    _i(
        "web",
        (
            "fetch",
            "web",
            "http",
            "browser",
            "puppeteer",
            "playwright",
            "browserbase",
            "chrome",
            "firecrawl",
            "brave",
            "tavily",
            "exa",
            "perplexity",
            "serper",
            "duckduckgo",
            "search",
            "scrape",
            "crawl",
        ),
        (UNTRUSTED, SENDS),
        (UNTRUSTED, SENDS),
        (UNTRUSTED, SENDS),
        roles={"url": "url", "query": "query"},
        tools={
            "browser_evaluate": _e(EXECUTES, UNTRUSTED, SENDS, function="command"),
            "puppeteer_evaluate": _e(EXECUTES, UNTRUSTED, SENDS, script="command"),
        },
    ),
    _i(
        "database",
        (
            "postgres",
            "postgresql",
            "pg",
            "sqlite",
            "mysql",
            "mariadb",
            "db",
            "database",
            "supabase",
            "neon",
            "bigquery",
            "snowflake",
            "redis",
            "mongodb",
            "mongo",
            "clickhouse",
            "duckdb",
        ),
        (PRIVATE,),
        (PRIVATE, WRITES),
        roles={"sql": "query", "query": "query", "statement": "query"},
    ),
    _i(
        "observability",
        ("sentry", "datadog", "pagerduty", "grafana", "honeycomb", "newrelic", "opsgenie"),
        (PRIVATE, UNTRUSTED),
        (SENDS,),
    ),
    _i("memory", ("memory", "knowledge"), (PRIVATE,), (WRITES,), (DESTRUCTIVE, WRITES)),
    _i(
        "cloud",
        (
            "aws",
            "gcp",
            "gcloud",
            "azure",
            "kubernetes",
            "k8s",
            "kubectl",
            "terraform",
            "cloudflare",
            "vercel",
        ),
        (PRIVATE,),
        (SENDS,),
        (DESTRUCTIVE, SENDS),
    ),
)

# Verbs found in a tool's name (snake, kebab or camel case split into words).
READ_VERBS = _set(
    "get list search read fetch find query view describe show lookup retrieve download browse "
    "check count inspect load open peek preview summarize scan stat status"
)
WRITE_VERBS = _set(
    "create update send post add push comment reply upload share write edit merge publish invite set "
    "put patch assign move rename fork star close reopen label submit approve schedule forward draft "
    "insert append save commit tag transfer notify message email tweet navigate click fill type "
    "press select hover"
)
DELETE_VERBS = _set(
    "delete remove drop destroy purge wipe truncate erase trash kill terminate revoke uninstall"
)
EXEC_VERBS = _set("run exec execute eval evaluate shell command terminal script spawn invoke")
# Nouns that mark content written by other people (untrusted input for the model).
UNTRUSTED_NOUNS = _set(
    "web url page site html browser email mail message messages thread inbox issue issues comment "
    "comments post posts tweet article news feed rss search internet http scrape crawl"
)
SEND_NOUNS = _set("email mail message webhook http request slack sms notification")

# Argument names (lower case, non-alphanumerics removed) and the role they play.
ARGUMENT_ROLES: Mapping[str, str] = {
    **dict.fromkeys(
        ("to", "cc", "bcc", "recipient", "recipients", "toemail", "emails", "emailaddress",
         "addresses", "attendees", "invitees", "participants", "sendto"),
        "recipients",
    ),
    **dict.fromkeys(
        ("url", "uri", "link", "href", "endpoint", "webhook", "webhookurl", "website", "pageurl",
         "targeturl", "baseurl"),
        "url",
    ),
    **dict.fromkeys(
        ("path", "paths", "file", "filepath", "filename", "directory", "dir", "dirpath", "folder",
         "notebookpath", "absolutepath", "targetfile", "sourcepath", "destinationpath"),
        "path",
    ),
    **dict.fromkeys(("command", "cmd", "script", "shellcommand", "commandline"), "command"),
    **dict.fromkeys(("query", "sql", "q", "searchquery", "statement", "searchterm"), "query"),
    **dict.fromkeys(
        ("body", "text", "message", "content", "html", "markdown", "comment", "note", "data", "payload",
         "subject"),
        "content",
    ),
}  # fmt: skip

# Suggested base risk per capability; a tool's risk is its riskiest capability plus a little
# for each further one.
CAPABILITY_RISK: Mapping[str, int] = {
    PRIVATE: 15,
    UNTRUSTED: 20,
    WRITES: 15,
    SENDS: 35,
    EXECUTES: 40,
    DESTRUCTIVE: 60,
    CREDENTIALS: 70,
}
