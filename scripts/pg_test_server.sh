#!/usr/bin/env bash
# A throw-away PostgreSQL server for the store tests (Debian's postgresql package).
#   scripts/pg_test_server.sh start   -> prints the SQLAlchemy URL on stdout
#   scripts/pg_test_server.sh stop
# Data and socket live in $DUALREC_PG_DIR (default /tmp/dualrec-audit-pg); trust auth, no TCP.
set -euo pipefail
dir=${DUALREC_PG_DIR:-${TMPDIR:-/tmp}/dualrec-audit-pg}
port=${DUALREC_PG_PORT:-54329}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
  echo "pg_test_server: PostgreSQL server not installed (apt-get install postgresql)" >&2
  exit 3
fi
as_owner() {  # initdb and postgres refuse to run as root
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
  start)
    if [ -f "$dir/data/postmaster.pid" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      :
    else
      rm -rf "$dir"
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres: "$dir"
      as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
      as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-k $dir -p $port -c listen_addresses='' -c fsync=off" start >/dev/null
      as_owner "$bin/createdb" -h "$dir" -p "$port" -U postgres dualrec_test
    fi
    echo "postgresql+psycopg://postgres@/dualrec_test?host=$dir&port=$port"
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
      rm -rf "$dir"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
