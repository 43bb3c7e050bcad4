from agentd.decide import known_tools as known
from agentd.decide.catalog import ArgRole, Capability

CAPABILITIES = {c.value for c in Capability}
ROLES = {r.value for r in ArgRole}


def test_every_entry_uses_known_capabilities_and_roles() -> None:
    entries = [e for tools in known.AGENT_TOOLS.values() for e in tools.values()]
    entries += [e for i in known.INTEGRATIONS for e in i.tools.values()]
    for entry in entries:
        assert entry.capabilities <= CAPABILITIES
        assert set(entry.roles.values()) <= ROLES
    for integration in known.INTEGRATIONS:
        assert integration.reads | integration.writes | integration.deletes <= CAPABILITIES
        assert set(integration.roles.values()) <= ROLES
    assert set(known.ARGUMENT_ROLES.values()) <= ROLES
    assert set(known.CAPABILITY_RISK) == CAPABILITIES


def test_shell_tools_name_their_command_argument() -> None:
    for tools in known.AGENT_TOOLS.values():
        for name, entry in tools.items():
            if entry.shell:
                assert "command" in entry.roles.values(), name


def test_verb_sets_do_not_overlap() -> None:
    assert not known.READ_VERBS & known.WRITE_VERBS
    assert not known.WRITE_VERBS & known.DELETE_VERBS
    assert not known.READ_VERBS & known.DELETE_VERBS


def test_integration_aliases_are_unique() -> None:
    aliases = [a for i in known.INTEGRATIONS for a in i.aliases]
    assert len(aliases) == len(set(aliases))
