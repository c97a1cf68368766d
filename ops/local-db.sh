#!/usr/bin/env bash
# The private PostgreSQL cluster of this working tree (the embedded default), by hand:
#   ops/local-db.sh status | start | stop | psql [database]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

marhaba() { dotnet run --project src/Marhaba --no-launch-profile -- "$@"; }

case "${1:-status}" in
  status|start|stop) marhaba local-db "${1:-status}" ;;
  psql)
    marhaba local-db start >/dev/null
    data="$root/.data/postgres"
    [ -f "$data/marhaba.port" ] || data="$(ls -d /var/tmp/marhaba/*/postgres 2>/dev/null | head -1)"
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
    exec "$bin/psql" -h 127.0.0.1 -p "$(cat "$data/marhaba.port")" -U postgres "${2:-marhaba}"
    ;;
  *) echo "usage: $0 status|start|stop|psql [database]" >&2; exit 2 ;;
esac
