# Sourced by .ci/run (bash): a throwaway Postgres server for tests/integration/test_postgres.py.
# Installs Debian's postgresql if missing, starts a cluster in a temporary folder on 127.0.0.1 on a free port
# (as the postgres user when run as root), creates role and database mnr (createrole: the tests create the
# read-only role that `mnr query` uses, as a database administrator would), and exports MNR_PG_* for the tests.
# `mnr_pg_stop` stops it and removes the folder. The database is UTF8 with the C.UTF-8 locale so that text
# sorts by code point as in DuckDB (min(), row_number() ... order by give the same answers on both).

mnr_pg_bindir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

if [ -z "$(mnr_pg_bindir)" ]; then
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
fi
MNR_PG_BIN="$(mnr_pg_bindir)"
MNR_PG_DIR="$(mktemp -d /tmp/mnr-pg.XXXXXX)"
MNR_PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
MNR_PG_PASSWORD="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

mnr_pg_as_owner() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

if [ "$(id -u)" = 0 ]; then chown postgres: "$MNR_PG_DIR"; fi
mnr_pg_as_owner "$MNR_PG_BIN/initdb" -D "$MNR_PG_DIR/data" -U postgres -E UTF8 --locale=C.UTF-8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
mnr_pg_as_owner "$MNR_PG_BIN/pg_ctl" -D "$MNR_PG_DIR/data" -l "$MNR_PG_DIR/server.log" -w start \
    -o "-c listen_addresses=127.0.0.1 -p $MNR_PG_PORT -k $MNR_PG_DIR" >/dev/null
mnr_pg_as_owner "$MNR_PG_BIN/psql" -h "$MNR_PG_DIR" -p "$MNR_PG_PORT" -U postgres -d postgres -q \
    -v ON_ERROR_STOP=1 -c "create role mnr login createdb createrole password '$MNR_PG_PASSWORD'" -c "create database mnr owner mnr"

mnr_pg_stop() {
    mnr_pg_as_owner "$MNR_PG_BIN/pg_ctl" -D "$MNR_PG_DIR/data" -m fast -w stop >/dev/null || true
    rm -rf "$MNR_PG_DIR"
}

export MNR_PG_HOST=127.0.0.1 MNR_PG_PORT MNR_PG_USER=mnr MNR_PG_PASSWORD MNR_PG_DATABASE=mnr
