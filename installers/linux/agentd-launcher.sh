#!/bin/sh
# /opt/agentd/bin/agentd (and /usr/bin/agentd): agentd on its own bundled Python.
# -I keeps the caller's PYTHONPATH, user site-packages and working directory out;
# -B never writes bytecode into the package, which ships it compiled.
# AGENTD_BIN tells agentd the stable path to name in agents' hook commands.
AGENTD_BIN=/usr/bin/agentd
export AGENTD_BIN
exec /opt/agentd/python/bin/@PYTHON@ -I -B -m agentd "$@"
