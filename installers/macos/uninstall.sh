#!/bin/sh
# /opt/agentd/libexec/uninstall: removes agentd from this Mac, restoring agents' managed
# settings exactly. `--purge` also deletes its state (spool, CA, keys) and logs.
set -eu

if [ "$(id -u)" -ne 0 ]; then
  echo "run as root: sudo $0 $*" >&2
  exit 1
fi

launchctl bootout system/com.agentd.daemon >/dev/null 2>&1 || true
/opt/agentd/bin/agentd integrate --system --agent all --uninstall >/dev/null \
  || echo "agentd: could not remove agent integrations; check managed settings by hand" >&2
/opt/agentd/libexec/agentd-ca-trust remove || true

rm -f /Library/LaunchDaemons/com.agentd.daemon.plist /usr/local/bin/agentd
rm -rf /opt/agentd
pkgutil --forget com.agentd.pkg >/dev/null 2>&1 || true

if [ "${1:-}" = "--purge" ]; then
  rm -rf "/Library/Application Support/agentd" /Library/Logs/agentd /var/run/agentd
fi
echo "agentd removed"
