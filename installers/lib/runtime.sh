# shellcheck shell=bash
# Shared by the Linux and macOS package builds (sourced, not run): copy a Python runtime into
# the package and install agentd with its locked dependencies into it.

# bundle_python PREFIX PYVER SHARED DEST
#   Copies the interpreter in PREFIX to DEST without its test suite, GUI, terminal UI and
#   build-time parts, adds bin/python3, and makes sysconfig report /opt/agentd/python.
bundle_python() {
  local prefix=$1 pyver=$2 shared=$3 dest=$4
  local lib="lib/python$pyver"
  local runtime=("bin/python$pyver" "$lib")
  if [[ "$shared" == 1 ]]; then
    local candidate
    for candidate in "lib/libpython$pyver.so.1.0" "lib/libpython$pyver.dylib"; do
      [[ -f "$prefix/$candidate" ]] && runtime+=("$candidate")
    done
  fi
  mkdir -p "$dest"
  tar -C "$prefix" \
    --exclude="$lib/test" --exclude="$lib/idlelib" --exclude="$lib/tkinter" --exclude="$lib/turtledemo" \
    --exclude="$lib/ensurepip" --exclude="$lib/lib2to3" --exclude="$lib/pydoc_data" \
    --exclude="$lib/config-$pyver-*" --exclude="$lib/site-packages/*" \
    --exclude="$lib/lib-dynload/_test*" --exclude="$lib/lib-dynload/_tkinter*" \
    --exclude="$lib/lib-dynload/xx*" --exclude="$lib/lib-dynload/_curses*" \
    --exclude="$lib/lib-dynload/readline.*" --exclude="$lib/lib-dynload/nis.*" \
    --exclude="$lib/lib-dynload/_dbm.*" --exclude="$lib/lib-dynload/_gdbm.*" \
    --exclude="$lib/lib-dynload/ossaudiodev.*" --exclude="$lib/lib-dynload/spwd.*" \
    --exclude='*.opt-1.pyc' --exclude='*.opt-2.pyc' \
    -cf - "${runtime[@]}" \
    | tar -C "$dest" -xf -
  ln -s "python$pyver" "$dest/bin/python3"
  local data
  for data in "$dest/$lib"/_sysconfigdata_*.py; do
    sed -i.orig "s#$prefix#/opt/agentd/python#g" "$data" && rm -f "$data.orig"
  done
}

# install_agentd REPO UV PYTHON BUILD
#   Installs uv.lock's runtime dependencies (hash-checked) and agentd's wheel into the bundled
#   interpreter PYTHON, points console scripts at /opt/agentd, and compiles the bytecode.
install_agentd() {
  local repo=$1 uv=$2 python=$3 build=$4
  local site
  site=$("$python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  (cd "$repo" && "$uv" export --frozen --no-dev --no-emit-project --format requirements-txt --quiet \
    -o "$build/requirements.txt")
  (cd "$repo" && "$uv" build --wheel --quiet --out-dir "$build/wheel")
  "$uv" pip install --quiet --python "$python" --no-deps --link-mode copy --require-hashes \
    -r "$build/requirements.txt"
  "$uv" pip install --quiet --python "$python" --no-deps --link-mode copy "$build"/wheel/agentd-*.whl
  rm -f "$site"/*.dist-info/direct_url.json
  # Console scripts were written with the staging path; they belong to /opt/agentd.
  local bindir
  bindir=$(dirname "$python")
  grep -rlI -F "$bindir/python" "$bindir" | while IFS= read -r script; do
    sed -i.orig "s#$bindir/python#/opt/agentd/python/bin/python#g" "$script" && rm -f "$script.orig"
  done
  # Ship bytecode: the launcher runs with -B, so nothing is ever written under /opt at run time.
  "$python" -m compileall -q -j 0 "$site" "$(dirname "$site")"/_sysconfigdata_*.py >/dev/null
}
