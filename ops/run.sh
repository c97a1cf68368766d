#!/usr/bin/env bash
# Starts the whole platform for a newcomer: the stand-in Italian port authority and the Marhaba
# server on the embedded PostgreSQL, with demo data. Ctrl+C stops both.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

dotnet build Marhaba.sln -nologo -v quiet -consoleLoggerParameters:ErrorsOnly

mkdir -p .data
[ -f .data/authority-secret ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > .data/authority-secret
secret="$(cat .data/authority-secret)"

# The stand-in authority on 5090: it receives Marhaba's reports and, every few minutes, delays a sailing it knows of.
Authority__Secret="$secret" Marhaba__BaseUrl="http://localhost:5080" Demo__NotifyEverySeconds=300 \
  dotnet run --no-build --project src/Marhaba.PortAuthority --urls http://127.0.0.1:5090 > .data/port-authority.log 2>&1 &
authority=$!
trap 'kill $authority 2>/dev/null || true' EXIT

echo "Stand-in port authority: http://127.0.0.1:5090/received (log in .data/port-authority.log)"
PortAuthority__BaseUrl="http://127.0.0.1:5090" PortAuthority__Secret="$secret" \
  dotnet run --no-build --project src/Marhaba
