# Shared by intake.sh, caseload.sh and search.sh: logging, the service's start and stop,
# scratch PostgreSQL databases, oha, and CPU tick counters. Source it after setting ROOT,
# PORT, BIND, BIN, PG_URL and WORK; it installs the EXIT trap that cleans up.

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

SERVER_PID=""
# Scratch databases to drop on the way out (and by drop_pg_dbs when a backend is done).
PG_DBS=()
# How long the service may take to answer /readyz (search builds its index first).
READY_SECONDS=${READY_SECONDS:-30}

stop_server() {
    [[ -n "$SERVER_PID" ]] || return 0
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

drop_pg_dbs() {
    local db
    for db in "${PG_DBS[@]}"; do
        psql "$PG_URL/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 \
            || log "could not drop database $db"
    done
    PG_DBS=()
}

cleanup() {
    local rc=$?
    stop_server
    drop_pg_dbs
    if [[ $rc -ne 0 && -d "$WORK" ]]; then
        log "failed (exit $rc); server logs follow"
        tail -n 20 "$WORK"/*.log 2>/dev/null >&2 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

require_tools() { # tool...
    local tool
    for tool in "$@"; do
        command -v "$tool" >/dev/null || die "$tool is not on PATH"
    done
}

# Installs oha if it is missing; sets OHA_HELP, OHA_JSON, OHA_TUI and OHA_VERSION.
setup_oha() {
    export PATH="$HOME/.cargo/bin:$PATH"
    if ! command -v oha >/dev/null; then
        log "oha not found: cargo install oha --locked (about 5 minutes on 2 cores)"
        local started
        started=$(date +%s)
        # 1.16.0 is the version these scripts were written against; it builds on rustc 1.95.
        timeout 1800 cargo install oha --locked --version "${BENCH_OHA_VERSION:-1.16.0}" >&2
        log "oha installed in $(( $(date +%s) - started )) s"
    fi
    OHA_HELP=$(oha --help)
    if grep -q -- '--output-format' <<<"$OHA_HELP"; then OHA_JSON=(--output-format json); else OHA_JSON=(-j); fi
    OHA_TUI=(); grep -q -- '--no-tui' <<<"$OHA_HELP" && OHA_TUI=(--no-tui)
    OHA_VERSION=$(oha --version | head -n1)
}

# Builds the release binary and checks that the benchmark's port is free.
build_release() {
    log "building the release binary"
    (cd "$ROOT" && timeout 1800 cargo build --release -p socialrx --quiet) || die "cargo build failed"
    [[ -x "$BIN" ]] || die "$BIN was not built"
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        die "port $PORT is already in use; set BENCH_PORT"
    fi
}

wait_ready() {
    local _
    for _ in $(seq 1 $((READY_SECONDS * 10))); do
        kill -0 "$SERVER_PID" 2>/dev/null || die "the service exited during start-up"
        if curl -fs -o /dev/null --max-time 2 "http://$BIND/readyz"; then return 0; fi
        sleep 0.1
    done
    die "the service was not ready within $READY_SECONDS s"
}

start_server() { # name database_url
    # The data was just written: let its writeback finish before anything is measured, so
    # that the service's own fsyncs do not queue behind a few hundred MiB of it.
    sync
    (cd "$WORK" && exec env SOCIALRX_BIND="$BIND" DATABASE_URL="$2" SOCIALRX_LOG_LEVEL=warn \
        SOCIALRX_ENVIRONMENT=development "$BIN" serve >"$WORK/$1.log" 2>&1) &
    SERVER_PID=$!
    wait_ready
}

CLK_TCK=$(getconf CLK_TCK)
proc_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU ticks of the local PostgreSQL server: every postgres process, plus what the
# postmaster has reaped from backends that have exited (pgbench's, when it disconnects).
pg_ticks() {
    local p
    for p in $(pgrep -x postgres); do
        cat "/proc/$p/stat" 2>/dev/null || true
    done | awk '{ t += $14 + $15; pid[$1] = 1; ppid[$1] = $4; reaped[$1] = $16 + $17 }
        END { for (p in pid) if (!(ppid[p] in pid)) t += reaped[p]; print t + 0 }'
}
# busy and total ticks of the whole machine
machine_ticks() { awk '/^cpu /{t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t; exit}' /proc/stat; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN{print b - a}'; }

# Fails the run if the service died while oha was driving it, keeping its log in out/.
require_server_alive() { # name report-prefix
    kill -0 "$SERVER_PID" 2>/dev/null && return 0
    local status=0
    wait "$SERVER_PID" || status=$?
    SERVER_PID=""
    local kept="$OUT_DIR/$2-$STAMP-$1.log"
    mkdir -p "$OUT_DIR" && cp "$WORK/$1.log" "$kept"
    die "$1: the service stopped during the measured run (exit status $status); its log is in ${kept#"$ROOT"/}"
}
