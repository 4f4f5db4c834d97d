#!/usr/bin/env bash
# The README's commands. On a fresh machine with Python 3.11+ each one sets itself up first:
#   bash dev.sh demo    start the demo shop, offline, on mockkit's own served fakes
#   bash dev.sh test    run the whole test suite (browser tests need Debian's chromium), then
#                       the Stripe tests on each older stripe-python major (noxfile.py);
#                       with arguments, only pytest with them: bash dev.sh test tests/stripe
#   bash dev.sh sdks    only the stripe-python matrix (nox arguments: -s "stripe_sdk(10)")
#   bash dev.sh lint    ruff check, ruff format --check and mypy (strict for mockkit/)
#   bash dev.sh docs    build the documentation site into site/ (warnings are errors)
set -euo pipefail
cd "$(dirname "$0")"

PYTHON=${PYTHON:-python3}

setup() {
  if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    echo "mockkit needs Python 3.11 or newer as '$PYTHON' (set PYTHON=... to choose one)." >&2
    exit 2
  fi
  if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
  fi
  local stamp=.venv/.mockkit-installed
  # -qq: errors only; otherwise pip relays setuptools' notice on every editable install and
  # complaints about the machine's own pip configuration.
  local pip=(.venv/bin/python -m pip install -qq --disable-pip-version-check
             --root-user-action=ignore)
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ] \
      || [ demo_app/requirements.txt -nt "$stamp" ]; then
    "${pip[@]}" --upgrade pip
    # mockkit itself (editable, with what developing it needs) and the demo shop's requirements:
    # the demo is an app of this repository, not part of the package.
    "${pip[@]}" -e '.[dev]' -r demo_app/requirements.txt
    touch "$stamp"
  fi
}

cmd=${1:-help}
shift || true
case "$cmd" in
  demo)
    setup
    exec .venv/bin/python -m demo_app "$@"
    ;;
  test)
    setup
    if [ $# -gt 0 ]; then
      exec .venv/bin/python -m pytest -n 2 "$@"
    fi
    .venv/bin/python -m pytest -n 2
    # The Stripe tests again on the newest release of each older stripe-python major, each in
    # a virtualenv of its own (uv makes them in seconds and keeps them between runs).
    exec .venv/bin/nox --no-color
    ;;
  sdks)
    setup
    exec .venv/bin/nox "$@"
    ;;
  lint)
    setup
    .venv/bin/ruff check .
    .venv/bin/ruff format --check .
    .venv/bin/mypy
    ;;
  docs)
    setup
    # Material for MkDocs prints a notice about its successor on every build; it is not ours.
    NO_MKDOCS_2_WARNING=1 exec .venv/bin/mkdocs build --strict "$@"
    ;;
  *)
    sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
    [ "$cmd" = help ] || exit 2
    ;;
esac
