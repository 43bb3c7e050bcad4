"""`python -m agentd` runs the command-line interface (`agentd hook` takes a fast path first)."""

from agentd.cli.hook import console_main

console_main()
