#!/usr/bin/env bash
# Create or update a virtual environment for the course: tools/ensure_venv.sh VENV [--with-d2l]
#
# - creates VENV with $PYTHON (default python3) if it has no python yet;
# - installs requirements.txt when it changed since the last install (sha256 stamp): the
#   course, the book, and the dev tools (pytest, ruff, uv), every file checked against
#   the hashes `make lock` wrote there;
# - installs coursekit from this checkout in editable mode when VENV last linked
#   another checkout (a venv kept outside the clone, as CI does, serves many clones);
# - with --with-d2l, adds the d2l reference the parity tests compare with. Its declared
#   pins (numpy 1.21, pandas 1.2) cannot install on Python 3.11, so it goes in --no-deps.
set -euo pipefail
venv=${1:?usage: tools/ensure_venv.sh VENV [--with-d2l]}
with_d2l=${2:-}
python=${PYTHON:-python3}
pip_quiet=(--quiet --disable-pip-version-check)

if [ ! -x "$venv/bin/python" ]; then
  echo "creating the virtual environment $venv"
  "$python" -m venv "$venv"
fi
hash_of() { "$venv/bin/python" -c 'import hashlib, sys; print(hashlib.sha256(open(sys.argv[1], "rb").read()).hexdigest())' "$1"; }

want=$(hash_of requirements.txt)
if [ "$(cat "$venv/.requirements.sha256" 2>/dev/null)" != "$want" ]; then
  echo "installing requirements.txt into $venv (a few minutes the first time)"
  "$venv/bin/python" -m pip install "${pip_quiet[@]}" -r requirements.txt
  echo "$want" > "$venv/.requirements.sha256"
fi
if [ "$(cat "$venv/.coursekit-checkout" 2>/dev/null)" != "$PWD" ]; then
  "$venv/bin/python" -m pip install "${pip_quiet[@]}" --no-deps -e .
  echo "$PWD" > "$venv/.coursekit-checkout"
fi
if [ "$with_d2l" = "--with-d2l" ] && ! "$venv/bin/python" -m pip show d2l >/dev/null 2>&1; then
  "$venv/bin/python" -m pip install "${pip_quiet[@]}" --no-deps -r requirements-d2l.txt
fi
