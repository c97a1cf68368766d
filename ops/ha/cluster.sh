#!/usr/bin/env bash
# A highly available PostgreSQL on one machine's loopback: one etcd member and two or three Patroni nodes (a primary
# and a synchronous standby, strict: no commit is acknowledged by one node alone; a third node is a spare standby that
# becomes the synchronous one when the other fails). For the failover drills and for trying the multi-host connection;
# production runs each Patroni node on its own machine with three etcd members.
#
#   ops/ha/cluster.sh up [dir] [--members 2|3]   wipe dir, start etcd and pg1, pg2 (pg3); create role and database marhaba
#   ops/ha/cluster.sh down [dir] [--fast]   stop everything (--fast: SIGKILL Patroni, SIGQUIT PostgreSQL)
#   ops/ha/cluster.sh status [dir]          patronictl list
#   ops/ha/cluster.sh leader [dir]          the leader's name (pg1, pg2 or pg3)
#   ops/ha/cluster.sh sync-standby [dir]    the synchronous standby's name
#   ops/ha/cluster.sh kill-postgres NODE [dir]   SIGKILL the node's postmaster (Patroni stays and fails over)
#   ops/ha/cluster.sh kill-node NODE [dir]       SIGKILL the node's Patroni and postmaster together (a host crash)
#   ops/ha/cluster.sh start-node NODE [dir]      start a node's Patroni again (it rejoins, pg_rewind if needed)
#   ops/ha/cluster.sh promote-alone NODE [dir]   the last resort when the primary's disks are lost and Patroni will
#                                                not promote a standby that was not synchronous: stop the node's
#                                                Patroni, start its PostgreSQL alone and promote it
#   ops/ha/cluster.sh connection [dir]      the server's connection string (every member)
#   ops/ha/cluster.sh node-connection NODE [dir]  a connection string to that member alone (a standby reads only)
set -euo pipefail
cmd="${1:-status}"; shift || true
node=""
case "$cmd" in kill-postgres|kill-node|start-node|promote-alone|node-connection) node="${1:?node name: pg1, pg2 or pg3}"; shift ;; esac
dir="/var/tmp/marhaba-ha"; fast=""; members=2
while [ $# -gt 0 ]; do
  case "$1" in
    --fast) fast=--fast ;;
    --members) members="${2:?--members 2 or 3}"; shift ;;
    *) dir="$1" ;;
  esac
  shift
done
etcd_port=23790; etcd_peer=23800
declare -A pg_port=([pg1]=55433 [pg2]=55434 [pg3]=55435) rest_port=([pg1]=8018 [pg2]=8019 [pg3]=8020)
app_password="marhaba-ha-password"
# The members of the cluster in dir, as 'up' made it.
nodes() { if [ -f "$dir/members" ]; then cat "$dir/members"; else echo pg1 pg2; fi; }

install() {
  command -v patroni >/dev/null && command -v etcd >/dev/null && python3 -c 'import etcd' 2>/dev/null && return
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends patroni etcd-server python3-etcd >/dev/null
}

bin_dir() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

# HTTP status of a URL (python3 comes with Patroni; curl may not be there).
http_status() {
  python3 -c 'import sys, urllib.request, urllib.error
try: print(urllib.request.urlopen(sys.argv[1], timeout=2).status)
except urllib.error.HTTPError as e: print(e.code)
except Exception: print(0)' "$1"
}

rest() { http_status "http://127.0.0.1:${rest_port[$1]}/$2"; }

write_config() {
  local n="$1"
  cat >"$dir/conf/$n.yml" <<YAML
scope: marhaba-ha
name: $n
restapi: {listen: 127.0.0.1:${rest_port[$n]}, connect_address: 127.0.0.1:${rest_port[$n]}}
etcd3: {hosts: 127.0.0.1:$etcd_port}
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 4
    synchronous_mode: true
    # No commit acknowledged by the primary alone: without a standby, commits wait for one.
    synchronous_mode_strict: true
    # A crashed postmaster is failed over, not restarted in place for minutes.
    primary_start_timeout: 0
    postgresql:
      use_pg_rewind: true
      use_slots: true
      # A standby whose primary is gone tries the new one every second (PostgreSQL's default: 5 s).
      parameters: {wal_log_hints: "on", wal_keep_size: 128MB, max_connections: 200, wal_retrieve_retry_interval: 1s}
  initdb: [{encoding: UTF8}, data-checksums, {auth-local: trust}, {auth-host: scram-sha-256}, no-sync]
postgresql:
  listen: 127.0.0.1:${pg_port[$n]}
  connect_address: 127.0.0.1:${pg_port[$n]}
  data_dir: $dir/$n/data
  bin_dir: $(bin_dir)
  pgpass: $dir/$n/pgpass
  authentication:
    superuser: {username: postgres, password: marhaba-ha-super}
    replication: {username: replicator, password: marhaba-ha-repl}
    rewind: {username: postgres, password: marhaba-ha-super}
  parameters: {unix_socket_directories: $dir/$n}
  pg_hba: [local all all trust, host replication replicator 127.0.0.1/32 scram-sha-256, host all all 127.0.0.1/32 scram-sha-256]
watchdog: {mode: "off"}
YAML
  chown root:postgres "$dir/conf/$n.yml"; chmod 640 "$dir/conf/$n.yml"
}

start_patroni() {
  local n="$1"
  # env -i: a PGPASSWORD inherited by PostgreSQL would override the replication passfile.
  setsid env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin runuser -u postgres -- \
    sh -c "echo \$\$ > '$dir/$n/patroni.pid' && exec patroni '$dir/conf/$n.yml'" >>"$dir/$n/patroni.log" 2>&1 < /dev/null &
}

postmaster_pid() {
  local file="$dir/$1/data/postmaster.pid" pid
  [ -f "$file" ] || return 0
  pid="$(head -1 "$file")"
  # Only a live postgres of this data directory (the file outlives a killed postmaster).
  if pid_alive "$pid" && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$dir/$1/data"; then echo "$pid"; fi
}

leader() {
  for n in $(nodes); do [ "$(rest "$n" primary)" = 200 ] && { echo "$n"; return; }; done
  return 1
}

wait_for() { # seconds, then a condition
  local until=$(( $(date +%s) + $1 )); shift
  until "$@"; do [ "$(date +%s)" -lt "$until" ] || return 1; sleep 0.3; done
}

test_etcd() { [ "$(http_status "http://127.0.0.1:$etcd_port/health")" = 200 ]; }

# A leader, a synchronous standby, and every other member streaming from the leader.
all_up() {
  local l sync=0; l="$(leader)" || return 1
  for n in $(nodes); do
    [ "$n" = "$l" ] && continue
    [ "$(rest "$n" replica)" = 200 ] || return 1
    [ "$(rest "$n" sync)" = 200 ] && sync=1
  done
  [ "$sync" = 1 ]
}

down() {
  for n in $(nodes); do
    local pid; pid="$(cat "$dir/$n/patroni.pid" 2>/dev/null || true)"
    if pid_alive "$pid"; then if [ "$fast" = --fast ]; then kill -KILL "$pid"; else kill -TERM "$pid"; fi; fi
  done
  for n in $(nodes); do
    local pid; pid="$(cat "$dir/$n/patroni.pid" 2>/dev/null || true)"
    wait_for 30 bash -c "! kill -0 ${pid:-0} 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
    # A postmaster outlives a killed Patroni (it is not Patroni's child): stop it too.
    pid="$(postmaster_pid "$n")"; [ -n "$pid" ] && kill -QUIT "$pid" 2>/dev/null || true
  done
  local etcd; etcd="$(cat "$dir/etcd.pid" 2>/dev/null || true)"
  pid_alive "$etcd" && kill -TERM "$etcd" && wait_for 10 bash -c "! kill -0 $etcd 2>/dev/null" || true
  return 0
}

case "$cmd" in
  up)
    install
    [ -d "$dir" ] && down >/dev/null 2>&1 || true
    rm -rf "$dir"   # etcd's keys and PostgreSQL's data go together, or Patroni waits for a leader that is gone
    mkdir -p "$dir/conf" "$dir/etcd"; chmod 755 "$dir"
    case "$members" in 2) echo pg1 pg2 >"$dir/members" ;; 3) echo pg1 pg2 pg3 >"$dir/members" ;; *) echo "--members is 2 or 3" >&2; exit 2 ;; esac
    for n in $(nodes); do mkdir -p "$dir/$n"; chown postgres:postgres "$dir/$n"; chmod 700 "$dir/$n"; done
    setsid etcd --name marhaba-ha-etcd --data-dir "$dir/etcd/data" \
      --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
      --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
      --initial-cluster "marhaba-ha-etcd=http://127.0.0.1:$etcd_peer" --initial-cluster-state new \
      --initial-cluster-token marhaba-ha --logger zap --log-outputs stderr >"$dir/etcd/etcd.log" 2>&1 < /dev/null &
    echo $! >"$dir/etcd.pid"
    wait_for 20 test_etcd || { echo "etcd did not start; see $dir/etcd/etcd.log" >&2; exit 1; }
    for n in $(nodes); do write_config "$n"; done
    start_patroni pg1
    wait_for 60 leader >/dev/null || { echo "no primary; see $dir/pg1/patroni.log" >&2; exit 1; }
    for n in $(nodes); do [ "$n" = pg1 ] || start_patroni "$n"; done
    wait_for 90 all_up || { echo "no synchronous standby; see $dir/pg*/patroni.log" >&2; exit 1; }
    l="$(leader)"
    "$(bin_dir)/psql" -h "$dir/$l" -p "${pg_port[$l]}" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 \
      -c "create role marhaba login password '$app_password'" -c "create database marhaba owner marhaba" \
      -c "grant pg_monitor to marhaba" >/dev/null
    echo "primary $l; synchronous standby ready; members $(nodes)"
    ;;
  down) down ;;
  status) patronictl -c "$dir/conf/pg1.yml" list ;;
  leader) leader ;;
  sync-standby) for n in $(nodes); do [ "$(rest "$n" sync)" = 200 ] && { echo "$n"; exit 0; }; done; exit 1 ;;
  kill-postgres)
    pid="$(postmaster_pid "$node")"; [ -n "$pid" ] || { echo "no postmaster for $node" >&2; exit 1; }
    kill -KILL "$pid"
    ;;
  kill-node)
    pid="$(cat "$dir/$node/patroni.pid")"; pg="$(postmaster_pid "$node")"
    kill -KILL "$pid" ${pg:+"$pg"}
    ;;
  start-node) start_patroni "$node" ;;
  promote-alone)
    pid="$(cat "$dir/$node/patroni.pid" 2>/dev/null || true)"
    pid_alive "$pid" && { kill -KILL "$pid"; sleep 0.5; }
    pg="$(postmaster_pid "$node")"
    [ -n "$pg" ] || runuser -u postgres -- "$(bin_dir)/pg_ctl" -D "$dir/$node/data" -l "$dir/$node/alone.log" -w -t 60 start >/dev/null
    runuser -u postgres -- "$(bin_dir)/pg_ctl" -D "$dir/$node/data" -w -t 60 promote >/dev/null
    echo "$node promoted alone"
    ;;
  node-connection)
    echo "Host=127.0.0.1:${pg_port[$node]};Database=marhaba;Username=marhaba;Password=$app_password;Timeout=3;Pooling=false"
    ;;
  connection)
    # Both hosts; Npgsql follows the primary. No client-side command timeout: cancelling a commit that waits for
    # the standby makes PostgreSQL keep it locally and report success, an acknowledgement a failover can undo.
    # Lock waits are bounded by the server instead (lock_timeout cancels only a wait for a lock).
    hosts=""; for n in $(nodes); do hosts="${hosts:+$hosts,}127.0.0.1:${pg_port[$n]}"; done
    echo "Host=$hosts;Database=marhaba;Username=marhaba;Password=$app_password;Target Session Attributes=primary;Timeout=3;Command Timeout=0;Host Recheck Seconds=1;Keepalive=5;Options=-c lock_timeout=15000"
    ;;
  *) echo "usage: $0 up|down|status|leader|kill-postgres NODE|kill-node NODE|start-node NODE|promote-alone NODE|connection|node-connection NODE [dir]" >&2; exit 2 ;;
esac
