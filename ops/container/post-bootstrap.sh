#!/bin/sh
# Patroni runs this once, on the first primary: the application's role and database.
set -eu
psql "$1" -v ON_ERROR_STOP=1 -qc "create role marhaba login password '${MARHABA_DB_PASSWORD:?}'" -c "create database marhaba owner marhaba"
