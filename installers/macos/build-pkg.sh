#!/usr/bin/env bash
# Builds dist/agentd-<version>.pkg (macOS): agentd and its locked dependencies on a bundled
# Python under /opt/agentd, the LaunchDaemon, and pre/postinstall scripts that trust the CA,
# install agent integrations and bootstrap the daemon. Signed when AGENTD_SIGN_IDENTITY names
# a "Developer ID Installer" identity (MDM-deployed packages must be signed).
#
# Usage: installers/macos/build-pkg.sh [--out DIR] [--layout-only]
#   --layout-only  lay out the payload, scripts and distribution and stop: no runtime, no
#                  pkgbuild. Works on any OS; it is what CI on Linux checks.
# Environment:
#   AGENTD_BUILD_DIR  staging directory (default build/pkg), emptied first
# Full build (macOS only):
#   AGENTD_PYTHON  a relocatable Python >= 3.12 for the target architecture, e.g.
#                  python-build-standalone's "install_only" build (python.org's framework
#                  build is not relocatable)
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
OUT="$REPO/dist"
LAYOUT_ONLY=0
while (( $# )); do
  case "$1" in
    --out) OUT=$(cd "$(dirname "${2:?--out needs a directory}")" && pwd)/$(basename "$2"); shift 2 ;;
    --layout-only) LAYOUT_ONLY=1; shift ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[build-pkg]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

VERSION=$(python3 -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])' 2>/dev/null \
  || sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)
BUILD=${AGENTD_BUILD_DIR:-$REPO/build/pkg}
PAYLOAD="$BUILD/root"
SCRIPTS="$BUILD/scripts"
rm -rf "$BUILD"
mkdir -p "$PAYLOAD/opt/agentd/bin" "$PAYLOAD/opt/agentd/libexec" "$PAYLOAD/Library/LaunchDaemons" "$SCRIPTS" "$OUT"

# --- layout: everything but the Python runtime ----------------------------------------------
install -m 0644 launchd/com.agentd.daemon.plist "$PAYLOAD/Library/LaunchDaemons/com.agentd.daemon.plist"
install -m 0755 installers/macos/agentd-launcher.sh "$PAYLOAD/opt/agentd/bin/agentd"
install -m 0755 installers/macos/agentd-ca-trust "$PAYLOAD/opt/agentd/libexec/agentd-ca-trust"
install -m 0755 installers/macos/uninstall.sh "$PAYLOAD/opt/agentd/libexec/uninstall"
install -m 0755 installers/macos/scripts/preinstall installers/macos/scripts/postinstall "$SCRIPTS/"
ARCHS=${AGENTD_PKG_ARCHS:-arm64,x86_64}
sed -e "s/@VERSION@/$VERSION/" -e "s/@ARCH@/$ARCHS/" installers/macos/distribution.xml > "$BUILD/distribution.xml"

if (( LAYOUT_ONLY )); then
  say "layout in $BUILD (payload root/, scripts/, distribution.xml)"
  printf '%s\n' "$BUILD"
  exit 0
fi

[[ "$(uname -s)" == Darwin ]] || die "pkgbuild and productbuild exist only on macOS; use --layout-only here"
PYTHON=${AGENTD_PYTHON:?set AGENTD_PYTHON to a relocatable Python >= 3.12 (python-build-standalone install_only)}
UV="$REPO/.tools/bin/uv"
[[ -x "$UV" ]] || .ci/bootstrap
read -r PREFIX PYVER SHARED < <("$PYTHON" -c '
import sys, sysconfig
assert sys.version_info >= (3, 12), "agentd needs Python >= 3.12"
print(sys.base_prefix, "%d.%d" % sys.version_info[:2], sysconfig.get_config_var("Py_ENABLE_SHARED") or 0)')

# --- the runtime, agentd and its locked dependencies --------------------------------------------
# shellcheck source=installers/lib/runtime.sh
. installers/lib/runtime.sh
bundle_python "$PREFIX" "$PYVER" "$SHARED" "$PAYLOAD/opt/agentd/python"
install_agentd "$REPO" "$UV" "$PAYLOAD/opt/agentd/python/bin/python$PYVER" "$BUILD"
if grep -rlI -F "$PREFIX/" "$PAYLOAD/opt" | grep -v '/RECORD$' | head -5 | grep .; then
  die "files above still name the build machine's Python prefix"
fi

# --- component package, then the product archive MDM deploys -----------------------------------
pkgbuild --root "$PAYLOAD" --scripts "$SCRIPTS" --identifier com.agentd.pkg --version "$VERSION" \
  --install-location / --ownership recommended "$BUILD/agentd-component.pkg"
sign=()
[[ -n "${AGENTD_SIGN_IDENTITY:-}" ]] && sign=(--sign "$AGENTD_SIGN_IDENTITY")
productbuild --distribution "$BUILD/distribution.xml" --package-path "$BUILD" "${sign[@]}" \
  "$OUT/agentd-$VERSION.pkg"
say "built $OUT/agentd-$VERSION.pkg"
printf '%s\n' "$OUT/agentd-$VERSION.pkg"
