#!/usr/bin/env bash
# Builds dist/agentd_<version>_<arch>.deb from this checkout.
#
# The package is self-contained under /opt/agentd: a private copy of the Python runtime that
# .ci/bootstrap selected (Debian 12 ships only 3.11; agentd needs >= 3.12), with agentd and its
# locked dependencies (uv.lock) installed into it and compiled. /usr/bin/agentd links to the
# launcher; the systemd unit, the CA trust helper, the default config and the maintainer
# scripts come from installers/linux and systemd/.
#
# Usage: installers/linux/build-deb.sh [--out DIR]
# Environment:
#   AGENTD_PYTHON            interpreter to bundle (default: the one .venv was built from); it
#                            must live in its own prefix (pyenv, python-build-standalone), not /usr
#   AGENTD_DEB_COMPRESSION   xz (default, smallest), zstd (fast, dpkg >= 1.21.18), gzip, none
#   AGENTD_BUILD_DIR         staging directory (default build/deb/<package>), emptied first
# Needs: dpkg-deb, patchelf, tar, and the checkout's .tools/bin/uv (.ci/bootstrap installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
OUT="$REPO/dist"
[[ "${1:-}" == "--out" ]] && OUT=$(realpath -m "${2:?--out needs a directory}")
COMPRESSION=${AGENTD_DEB_COMPRESSION:-xz}
UV="$REPO/.tools/bin/uv"

say() { printf '\033[1m[build-deb]\033[0m %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

for tool in dpkg-deb patchelf tar readelf; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install dpkg-dev patchelf binutils)"
done
[[ -x "$UV" && -x .venv/bin/python ]] || .ci/bootstrap

# --- the interpreter to bundle ------------------------------------------------------------
if [[ -n "${AGENTD_PYTHON:-}" ]]; then
  PYTHON=$AGENTD_PYTHON
else
  PYTHON=$(.venv/bin/python -c 'import os, sys; print(os.path.join(sys.base_prefix, "bin", "python%d.%d" % sys.version_info[:2]))')
fi
read -r PREFIX PYVER SHARED < <("$PYTHON" -c '
import sys, sysconfig
assert sys.version_info >= (3, 12), "agentd needs Python >= 3.12"
print(sys.base_prefix, "%d.%d" % sys.version_info[:2], sysconfig.get_config_var("Py_ENABLE_SHARED") or 0)')
case "$PREFIX" in
  /usr|/usr/local|/) die "$PYTHON belongs to the system ($PREFIX) and cannot be bundled; set AGENTD_PYTHON to a pyenv or python-build-standalone interpreter" ;;
esac
[[ -f "$PREFIX/lib/python$PYVER/os.py" ]] || die "$PREFIX does not look like a self-contained Python prefix"

VERSION=$(.venv/bin/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')
# PEP 440 pre-releases sort before the release in Debian only with '~': 1.0rc1 -> 1.0~rc1
DEB_VERSION=$(printf '%s' "$VERSION" | sed -E 's/(a|b|rc|\.dev)([0-9]+)$/~\1\2/')
ARCH=$(dpkg --print-architecture)
PACKAGE="agentd_${DEB_VERSION}_${ARCH}"
BUILD=${AGENTD_BUILD_DIR:-$REPO/build/deb/$PACKAGE}
STAGE="$BUILD/root"
PY="$STAGE/opt/agentd/python"
say "agentd $VERSION with Python $PYVER from $PREFIX -> $OUT/$PACKAGE.deb"

rm -rf "$BUILD"
mkdir -p "$STAGE/DEBIAN" "$PY" "$OUT"

# --- the runtime ------------------------------------------------------------------------------
# shellcheck source=installers/lib/runtime.sh
. installers/lib/runtime.sh
lib="lib/python$PYVER"
bundle_python "$PREFIX" "$PYVER" "$SHARED" "$PY"

# Build-time library paths must not survive into the package: the interpreter finds its
# libpython next to itself, and stdlib extensions need no search path at all.
relocate() {
  local file=$1 runpath
  runpath=$(readelf -d "$file" 2>/dev/null | sed -n 's/.*(R\(UN\)\{0,1\}PATH).*\[\(.*\)\]/\2/p')
  [[ -n "$runpath" && "$runpath" == *"$PREFIX"* ]] || return 0
  if [[ "$file" == "$PY/bin/"* ]]; then
    # shellcheck disable=SC2016 # $ORIGIN is for the dynamic loader, not the shell
    patchelf --set-rpath '$ORIGIN/../lib' "$file"
  else
    patchelf --remove-rpath "$file"
  fi
}
while IFS= read -r -d '' file; do relocate "$file"; done \
  < <(find "$PY/bin" "$PY/lib" -maxdepth 1 -type f -print0; find "$PY/$lib/lib-dynload" -name '*.so' -print0)

# --- agentd and its locked dependencies, installed by the bundled interpreter itself --------
install_agentd "$REPO" "$UV" "$PY/bin/python$PYVER" "$BUILD"

# --- agentd's own files ---------------------------------------------------------------------
install -D -m 0755 /dev/stdin "$STAGE/opt/agentd/bin/agentd" \
  < <(sed "s/@PYTHON@/python$PYVER/" installers/linux/agentd-launcher.sh)
install -D -m 0755 installers/linux/agentd-ca-trust "$STAGE/opt/agentd/libexec/agentd-ca-trust"
install -d "$STAGE/usr/bin"
ln -s /opt/agentd/bin/agentd "$STAGE/usr/bin/agentd"
install -D -m 0644 systemd/agentd.service "$STAGE/lib/systemd/system/agentd.service"
install -D -m 0644 installers/linux/agentd.toml "$STAGE/etc/agentd/agentd.toml"
install -D -m 0644 docs/deploy.md "$STAGE/usr/share/doc/agentd/deploy.md"
install -D -m 0644 installers/linux/copyright "$STAGE/usr/share/doc/agentd/copyright"
for script in postinst prerm postrm; do
  install -m 0755 "installers/linux/debian/$script" "$STAGE/DEBIAN/$script"
done
printf '/etc/agentd/agentd.toml\n' > "$STAGE/DEBIAN/conffiles"

# --- nothing may point back at the build machine ---------------------------------------------
if grep -rlI -F -e "$STAGE" -e "$PREFIX/" "$STAGE/opt" | grep -v '/RECORD$' | head -5 | grep .; then
  die "files above still name the build paths"
fi
while IFS= read -r -d '' file; do
  if readelf -d "$file" 2>/dev/null | grep -E 'R(UN)?PATH' | grep -qF "$PREFIX"; then
    die "$file keeps a build-time library path"
  fi
done < <(find "$PY" -type f \( -name '*.so*' -o -path '*/bin/*' \) -print0)

# --- control: Depends from the system libraries the bundled binaries load ----------------------
depends() {
  # ldd fails on the scripts among the executables; only the resolved libraries matter.
  find "$PY" -type f \( -name '*.so*' -o -perm -u+x \) -print0 \
    | { xargs -0 ldd 2>/dev/null || true; } \
    | awk -v stage="$STAGE" '$2 == "=>" && $3 ~ /^\// && index($3, stage) != 1 { print $3 }' | sort -u \
    | while read -r lib_path; do
        dpkg -S "$lib_path" 2>/dev/null || dpkg -S "$(realpath "$lib_path")" 2>/dev/null || true
      done \
    | cut -d: -f1 | sort -u | paste -sd, | sed 's/,/, /g'
}
DEPENDS="$(depends)"
cat > "$STAGE/DEBIAN/control" <<EOF
Package: agentd
Version: $DEB_VERSION
Architecture: $ARCH
Maintainer: agentd maintainers <agentd@localhost>
Installed-Size: $(du -sk --exclude=DEBIAN "$STAGE" | cut -f1)
Depends: adduser, ca-certificates, passwd${DEPENDS:+, $DEPENDS}
Section: admin
Priority: optional
Description: see and govern what coding agents do on this host
 agentd is a per-host daemon that makes coding agents (Claude Code, Codex CLI,
 Gemini CLI, ...) visible and governable: it sees their model traffic through a
 local proxy, scans it for secrets, decides on every tool call from a signed
 policy, and ships signed event batches to a central collector.
 .
 This package bundles its own Python runtime under /opt/agentd.
EOF

dpkg-deb --root-owner-group -Z"$COMPRESSION" --build "$STAGE" "$OUT/$PACKAGE.deb" >/dev/null
say "built $OUT/$PACKAGE.deb ($(du -h "$OUT/$PACKAGE.deb" | cut -f1))"
printf '%s\n' "$OUT/$PACKAGE.deb"
