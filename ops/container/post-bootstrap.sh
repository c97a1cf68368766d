#!/bin/sh
# Patroni runs this once, on the first primary: the application's role and database. pg_monitor lets the nodes see
# whether a synchronous standby holds their commits (readiness, and the check before a kept answer is replayed).
set -eu
psql "$1" -v ON_ERROR_STOP=1 -qc "create role marhaba login password '${MARHABA_DB_PASSWORD:?}'" -c "create database marhaba owner marhaba" \
  -c "grant pg_monitor to marhaba"
