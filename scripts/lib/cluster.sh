# A throwaway PostgreSQL cluster for the scripts: `source scripts/lib/cluster.sh`, then `start_cluster`.
# Sets $bindir, $work (removed on exit), $port and the arrays psql=(...) and as_pg=(...); needs the server
# programs (/usr/lib/postgresql/15/bin, or DBARCH_PG_BINDIR). initdb refuses root: as root the server runs
# as the postgres user.
start_cluster() {
  bindir=${DBARCH_PG_BINDIR:-/usr/lib/postgresql/15/bin}
  [ -x "$bindir/initdb" ] || { echo "PostgreSQL server programs not found in $bindir: apt-get install -y postgresql-15, or set DBARCH_PG_BINDIR" >&2; exit 2; }
  work=$(mktemp -d)
  as_pg=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || { echo "running as root, but there is no postgres user to run the server as" >&2; exit 2; }
    chown postgres "$work"
    as_pg=(runuser -u postgres --)
  fi
  port=$((20000 + RANDOM % 20000))
  trap stop_cluster EXIT
  "${as_pg[@]}" "$bindir/initdb" -D "$work/data" -A trust -U postgres >/dev/null
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -l "$work/log" -w \
    -o "-p $port -k $work -c listen_addresses= -c fsync=off" start >/dev/null
  psql=("$bindir/psql" -X -q -h "$work" -p "$port" -U postgres -v ON_ERROR_STOP=1)
}

stop_cluster() {
  "${as_pg[@]}" "$bindir/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
