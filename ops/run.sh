#!/usr/bin/env bash
# Starts the whole platform for a newcomer: the stand-in Italian port authority and the Marhaba
# server on the embedded PostgreSQL, with demo data, beside a local mail server and a stand-in SMS gateway. Ctrl+C stops them all.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
mkdir -p .data

echo "Building Marhaba (the first build restores packages: a few minutes)…"
if ! dotnet build Marhaba.sln -nologo -v quiet > .data/build.log 2>&1; then
  cat .data/build.log
  exit 1
fi

[ -f .data/authority-secret ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > .data/authority-secret
secret="$(cat .data/authority-secret)"
[ -f .data/sms-api-key ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > .data/sms-api-key
sms_key="$(cat .data/sms-api-key)"

# Was the private PostgreSQL cluster already running (started by hand)? Then it is left running at the end.
db_was_running=false
pgdata="$(ls -d .data/postgres /var/tmp/marhaba/*/postgres 2>/dev/null | head -1 || true)"
[ -n "$pgdata" ] && [ -f "$pgdata/postmaster.pid" ] && db_was_running=true

# The stand-in authority on 5090: it receives Marhaba's reports and, every few minutes, delays a sailing it knows of.
Authority__Secret="$secret" Marhaba__BaseUrl="http://localhost:5080" Demo__NotifyEverySeconds=300 Logging__LogLevel__Default=Warning \
  dotnet run --no-build --no-launch-profile --project src/Marhaba.PortAuthority --urls http://127.0.0.1:5090 > .data/port-authority.log 2>&1 &
authority=$!

# The mail server travellers' messages go to: smtp4dev (the project's .NET tool), its web inbox on 5081.
dotnet tool restore > .data/mail.log 2>&1
dotnet tool run smtp4dev -- --urls=http://127.0.0.1:5081 --smtpport=2525 --bindaddress=127.0.0.1 --imapport=0 --pop3port=0 --messagestokeep=5000 --db= >> .data/mail.log 2>&1 &
mail=$!
# The SMS gateway travellers' text messages go to: the stand-in gateway on 5082 (what the phones received: /v1/messages).
Gateway__ApiKey="$sms_key" Logging__LogLevel__Default=Warning \
  dotnet run --no-build --no-launch-profile --project src/Marhaba.SmsGateway --urls http://127.0.0.1:5082 > .data/sms-gateway.log 2>&1 &
sms=$!
stop() {
  kill "$authority" "$mail" "$sms" 2>/dev/null || true
  wait "$authority" "$mail" "$sms" 2>/dev/null || true
  if [ "$db_was_running" = false ]; then
    dotnet run --no-build --no-launch-profile --project src/Marhaba -- local-db stop > /dev/null 2>&1 || true
  fi
}
trap stop EXIT

echo "Stand-in port authority: http://127.0.0.1:5090/received (log in .data/port-authority.log)"
echo "Travellers' e-mail (smtp4dev's inbox): http://127.0.0.1:5081 — the demo travellers are told there of delays"
echo "Travellers' SMS (the stand-in gateway): http://127.0.0.1:5082/v1/messages"
echo "Starting the server (its PostgreSQL, the demo data)…"
# Warnings and errors only: the banner lists the pages once everything is ready.
ASPNETCORE_ENVIRONMENT=Development ASPNETCORE_URLS=http://localhost:5080 Logging__LogLevel__Default=Warning \
PortAuthority__BaseUrl="http://127.0.0.1:5090" PortAuthority__Secret="$secret" \
Notices__Smtp__Host=127.0.0.1 Notices__Smtp__Port=2525 Notices__Smtp__Security=None Notices__TravellerPageUrl=http://localhost:5080/traveller \
Notices__Sms__BaseUrl=http://127.0.0.1:5082 Notices__Sms__ApiKey="$sms_key" Notices__Sms__ReceiptsUrl=http://localhost:5080/api/notices/sms-receipts \
  dotnet run --no-build --no-launch-profile --project src/Marhaba
