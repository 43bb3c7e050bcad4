"""`python -m agentd` runs the command-line interface."""

from agentd.cli.app import main

main()
