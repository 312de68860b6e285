#!/usr/bin/env bash
# A streaming replica of the local PostgreSQL 15 cluster, on loopback, for the read-replica
# test (tests/api/replica.rs) and CI. Runs as root; the server runs as `postgres`.
#
#   make_replica.sh start    a fresh replica: pg_basebackup -R from the primary into
#                            $REPLICA_DIR, started on $REPLICA_PORT; prints its URL
#   make_replica.sh stop     stops it (an outage); its data stays
#   make_replica.sh resume   starts it again after `stop` (and resumes a paused replay)
#   make_replica.sh destroy  stops it and removes its data
#
# Every command may be run again (start replaces an old replica). The replica streams
# through a replication slot, so that the primary keeps the WAL a stopped replica has not
# replayed (a busy primary recycled it within seconds of a `stop`, and the replica could
# never catch up); `destroy` drops the slot, and so must the caller, by `destroy`, when it
# is done: a slot left behind without its replica keeps WAL on the primary for ever.
# The primary must allow
# replication from 127.0.0.1: a missing pg_hba.conf line is added and the configuration
# reloaded (no restart); a wal_level or max_wal_senders that forbids replication needs a
# restart of the primary, which this script does not do: it says so and stops.
set -euo pipefail

PRIMARY_PORT=${PRIMARY_PORT:-5432}
REPLICA_PORT=${REPLICA_PORT:-5433}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PRIMARY_HBA=${PRIMARY_HBA:-/etc/postgresql/15/main/pg_hba.conf}
REPLICA_DIR=${REPLICA_DIR:-/tmp/socialrx-replica-$REPLICA_PORT}
SLOT=${REPLICA_SLOT:-socialrx_test_replica_$REPLICA_PORT}
DATA=$REPLICA_DIR/data
LOG=$REPLICA_DIR/postgres.log
PRIMARY="host=127.0.0.1 port=$PRIMARY_PORT user=postgres dbname=postgres"
REPLICA="host=127.0.0.1 port=$REPLICA_PORT user=postgres dbname=postgres"

as_postgres() { runuser -u postgres -- "$@"; }
say() { echo "make_replica: $*" >&2; }
psql_at() { "$PG_BIN/psql" "$1" -v ON_ERROR_STOP=1 -qAtc "$2"; }

running() { [[ -f $DATA/postmaster.pid ]] && as_postgres "$PG_BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

stop() {
    if running; then
        as_postgres "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 30 stop >/dev/null
        say "stopped the replica on port $REPLICA_PORT"
    fi
}

destroy() {
    stop
    rm -rf "$REPLICA_DIR"
    if [[ $(psql_at "$PRIMARY" "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '$SLOT'") != 0 ]]; then
        psql_at "$PRIMARY" "SELECT pg_drop_replication_slot('$SLOT')" >/dev/null
        say "dropped replication slot $SLOT"
    fi
}

# Replication connections from 127.0.0.1 as postgres, without restarting the primary.
allow_replication() {
    local wal_level senders
    wal_level=$(psql_at "$PRIMARY" "SHOW wal_level")
    senders=$(psql_at "$PRIMARY" "SHOW max_wal_senders")
    if [[ $wal_level == minimal || $senders -lt 2 ]]; then
        say "the primary has wal_level=$wal_level and max_wal_senders=$senders: replication needs"
        say "wal_level=replica and max_wal_senders >= 2, which only a restart of the primary applies:"
        say "  psql -c \"ALTER SYSTEM SET wal_level = replica\" -c \"ALTER SYSTEM SET max_wal_senders = 10\""
        say "  pg_ctlcluster 15 main restart"
        exit 1
    fi
    if "$PG_BIN/psql" "$PRIMARY replication=true" -qAtc "IDENTIFY_SYSTEM" >/dev/null 2>&1; then
        return
    fi
    say "adding a replication line for postgres@127.0.0.1 to $PRIMARY_HBA and reloading"
    printf '%s\n' "# socialrx tests/replica/make_replica.sh: streaming replica on loopback" \
        "host replication postgres 127.0.0.1/32 trust" >>"$PRIMARY_HBA"
    psql_at "$PRIMARY" "SELECT pg_reload_conf()" >/dev/null
    for _ in $(seq 1 20); do
        "$PG_BIN/psql" "$PRIMARY replication=true" -qAtc "IDENTIFY_SYSTEM" >/dev/null 2>&1 && return
        sleep 0.25
    done
    say "the primary still refuses replication connections from 127.0.0.1"
    exit 1
}

# A hot standby must allow at least as much as its primary of these.
standby_conf() {
    local name
    for name in max_connections max_worker_processes max_wal_senders \
        max_prepared_transactions max_locks_per_transaction; do
        echo "$name = $(psql_at "$PRIMARY" "SHOW $name")"
    done
    cat <<CONF
port = $REPLICA_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$REPLICA_DIR'
hot_standby = on
shared_buffers = 32MB
fsync = off
CONF
}

launch() {
    as_postgres "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 30 start >/dev/null
    # Streaming, not just up: the test's first write must reach it.
    for _ in $(seq 1 120); do
        if [[ $(psql_at "$REPLICA" "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'" 2>/dev/null) == 1 ]]; then
            say "replica streaming on port $REPLICA_PORT"
            echo "postgres://postgres@127.0.0.1:$REPLICA_PORT/postgres"
            return
        fi
        sleep 0.25
    done
    say "the replica did not start streaming within 30 s; its log:"
    tail -n 20 "$LOG" >&2 || true
    exit 1
}

start() {
    destroy
    if (exec 3<>"/dev/tcp/127.0.0.1/$REPLICA_PORT") 2>/dev/null; then
        say "port $REPLICA_PORT is in use by something else; set REPLICA_PORT"
        exit 1
    fi
    allow_replication
    install -d -o postgres -g postgres -m 700 "$REPLICA_DIR"
    # -c fast: a checkpoint now, not at the next scheduled one; -X stream: the WAL written
    # meanwhile comes with the copy; -R: standby.signal and primary_conninfo (with the
    # slot -C -S creates).
    as_postgres "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$PRIMARY_PORT" -U postgres \
        -D "$DATA" -R -X stream -c fast --no-sync -C -S "$SLOT"
    # Debian keeps the primary's configuration in /etc, so the copy has none of its own.
    standby_conf | as_postgres tee "$DATA/postgresql.conf" >/dev/null
    printf '%s\n' "local all all trust" "host all all 127.0.0.1/32 trust" |
        as_postgres tee "$DATA/pg_hba.conf" >/dev/null
    launch
}

resume() {
    [[ -d $DATA ]] || { say "no replica in $REPLICA_DIR: run start"; exit 1; }
    if running; then
        # Replay too, in case a test that paused it stopped half-way.
        psql_at "$REPLICA" "SELECT pg_wal_replay_resume()" >/dev/null
    else
        launch
    fi
}

case ${1:-} in
start) start ;;
stop) stop ;;
resume) resume ;;
destroy) destroy ;;
*)
    echo "usage: $0 start|stop|resume|destroy" >&2
    exit 2
    ;;
esac
