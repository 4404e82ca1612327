#!/bin/sh
# The postgres:15 stand-in's entrypoint (docker/base-images.sh), after the official image's:
# on an empty PGDATA it creates a cluster whose superuser is POSTGRES_USER (default postgres)
# with POSTGRES_PASSWORD, and the database POSTGRES_DB (default: the user's name); then it runs
# the server as the postgres user, listening on every address at PGPORT (default 5432).
set -eu

if [ "${1:-}" != "postgres" ]; then exec "$@"; fi

: "${PGDATA:=/var/lib/postgresql/data}"
USER_NAME=${POSTGRES_USER:-postgres}
DB_NAME=${POSTGRES_DB:-$USER_NAME}
as_postgres() { setpriv --reuid=postgres --regid=postgres --init-groups "$@"; }

if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$PGDATA" /var/run/postgresql
	chown postgres:postgres "$PGDATA" /var/run/postgresql
	chmod 700 "$PGDATA"
	chmod 2775 /var/run/postgresql
fi

if [ ! -s "$PGDATA/PG_VERSION" ]; then
	if [ -z "${POSTGRES_PASSWORD:-}" ]; then
		echo "postgres: set POSTGRES_PASSWORD (the superuser's password)" >&2
		exit 1
	fi
	pwfile=$(mktemp)
	printf '%s\n' "$POSTGRES_PASSWORD" >"$pwfile"
	chown postgres "$pwfile"
	as_postgres initdb --pgdata="$PGDATA" --username="$USER_NAME" --pwfile="$pwfile" \
		--auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 >/dev/null
	rm -f "$pwfile"
	echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
	if [ "$DB_NAME" != "postgres" ]; then
		echo "CREATE DATABASE \"$DB_NAME\"" |
			as_postgres postgres --single -D "$PGDATA" postgres >/dev/null
	fi
	echo "postgres: created the cluster with user $USER_NAME and database $DB_NAME" >&2
fi

shift
exec setpriv --reuid=postgres --regid=postgres --init-groups \
	postgres -D "$PGDATA" -c listen_addresses='*' -p "${PGPORT:-5432}" "$@"
