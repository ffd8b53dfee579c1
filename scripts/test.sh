#!/usr/bin/env bash
# The whole test suite: set-up, lint, format check, types, the no-Qt-in-core contract, pytest.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
# The store tests run on SQLite and on PostgreSQL: start a throw-away server when the
# PostgreSQL server package is installed and no server was given (.ci/run installs it).
if [ -z "${DUALREC_TEST_PG_URL:-}" ]; then
  # A server of this run's own (own data dir and socket), so parallel runs never share one.
  DUALREC_PG_DIR=$(mktemp -d "${TMPDIR:-/tmp}/dualrec-pg.XXXXXX")
  export DUALREC_PG_DIR
  if url=$(bash scripts/pg_test_server.sh start); then
    export DUALREC_TEST_PG_URL=$url
    trap 'bash scripts/pg_test_server.sh stop' EXIT
  else
    rmdir "$DUALREC_PG_DIR" 2>/dev/null || true
    echo "test.sh: no PostgreSQL server; the PostgreSQL variants of the store tests are skipped" >&2
  fi
fi
# Two test processes (pytest-xdist), each test file kept whole in one of them (its module
# fixtures are built once): 29 min instead of 46 on 2 cores. DUALREC_TEST_WORKERS=0 runs in
# this process (for -s or --pdb).
workers=${DUALREC_TEST_WORKERS:-2}
if [ "$workers" = 0 ]; then
  .venv/bin/python -m pytest "$@"
else
  .venv/bin/python -m pytest -n "$workers" --dist loadfile "$@"
fi
