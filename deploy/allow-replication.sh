#!/bin/sh
# Runs once, when the primary's data directory is created (docker-entrypoint-initdb.d): lets the
# replica stream the write-ahead log.
set -e
echo "host replication ${POSTGRES_USER} all scram-sha-256" >> "$PGDATA/pg_hba.conf"
