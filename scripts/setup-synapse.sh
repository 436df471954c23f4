#!/usr/bin/env bash
# Install a local Synapse homeserver (for the Matrix end-to-end tests) into its own venv.
#
# Idempotent and unattended: a quick no-op when the venv already imports a Synapse
# matching the pin. Prints one line, or the pip log on failure.
#
#   LTE_SYNAPSE_VENV   venv path (default: <repo>/.venv-synapse)
#   LTE_SYNAPSE_SPEC   pip requirement (default: the pin below)
#   LTE_SYNAPSE_PYTHON interpreter for the venv (default: python3.11, else python3)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${LTE_SYNAPSE_VENV:-$repo_root/.venv-synapse}"
# Tested with 1.163.2 on Python 3.11 (manylinux wheel, no compiler needed).
spec="${LTE_SYNAPSE_SPEC:-matrix-synapse>=1.163,<1.164}"

check_installed() {
    "$venv/bin/python" - "$spec" <<'EOF' 2>/dev/null
import sys
from importlib.metadata import version

import synapse  # noqa: F401

try:
    from packaging.requirements import Requirement
except ImportError:
    from pip._vendor.packaging.requirements import Requirement

req = Requirement(sys.argv[1])
sys.exit(0 if req.specifier.contains(version("matrix-synapse"), prereleases=True) else 1)
EOF
}

if [ -x "$venv/bin/python" ] && check_installed; then
    echo "setup-synapse: Synapse already installed in $venv"
    exit 0
fi

python_bin="${LTE_SYNAPSE_PYTHON:-}"
if [ -z "$python_bin" ]; then
    if command -v python3.11 >/dev/null 2>&1; then
        python_bin=python3.11
    else
        python_bin=python3
    fi
fi

log="$(mktemp -t setup-synapse.XXXXXX.log)"
trap 'rm -f "$log"' EXIT

fail() {
    echo "setup-synapse: $1 (log follows)" >&2
    tail -n 60 "$log" >&2
    exit 1
}

# A venv whose interpreter vanished (e.g. its base Python was removed) is rebuilt.
if [ -e "$venv" ] && ! "$venv/bin/python" -c "" >/dev/null 2>&1; then
    rm -rf "$venv"
fi

if [ ! -x "$venv/bin/python" ]; then
    if ! "$python_bin" -m venv "$venv" >>"$log" 2>&1; then
        # Debian's Python lacks ensurepip until python3-venv is installed.
        rm -rf "$venv"
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            export DEBIAN_FRONTEND=noninteractive
            { apt-get update -qq && apt-get install -y -qq python3-venv; } >>"$log" 2>&1 || true
        fi
        "$python_bin" -m venv "$venv" >>"$log" 2>&1 || fail "could not create venv $venv with $python_bin"
    fi
fi

start=$SECONDS
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1
"$venv/bin/python" -m pip install --quiet --upgrade "$spec" >>"$log" 2>&1 \
    || fail "pip install '$spec' failed"
check_installed || fail "Synapse installed but does not import"

ver="$("$venv/bin/python" -c 'from importlib.metadata import version; print(version("matrix-synapse"))')"
echo "setup-synapse: installed matrix-synapse $ver in $venv ($((SECONDS - start))s)"
