#!/usr/bin/env bash
# Cold start benchmark (issue 16): how long the release binary takes from process start to
# /readyz 200 with 100,000 activities, on SQLite and on PostgreSQL, and its memory.
#
#   tests/bench/coldstart.sh
#
# For each backend, on one generated directory (gen_search.py, as search.sh), the service
# is started four times with SOCIALRX_SEARCH_INDEX_DIR in a scratch directory:
#   1. build   no saved index: a full load from the database, saved to disk
#   2. open    the saved index, opened and caught up (the page cache holds its files)
#   3. evicted the saved index again, its files first evicted from the page cache
#              (posix_fadvise DONTNEED on those files only; the database stays cached)
#   4. memory  SOCIALRX_SEARCH_INDEX_DIR empty: rebuilt in memory (what every start did
#              before the index was saved)
# Each start prints the time to ready and VmRSS, VmHWM, RssAnon and RssFile from
# /proc/<pid>/status just after ready; starts 2 and 4 also after a search load (a bounded
# Python loop over the generated searches, BENCH_SEARCHES requests on 8 connections).
# A benchmark, not a test: it asserts nothing. Loopback only; it stops the services it
# started and removes its temporary directory and PostgreSQL database. See README.md.
#
# Knobs (environment):
#   BENCH_ACTIVITIES=100000  activities generated
#   BENCH_SEARCHES=4000      requests of each search load
#   BENCH_PORT=18094         loopback port for the service
#   BENCH_BACKENDS="sqlite postgres"
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server to create a scratch database on
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$ROOT/tests/bench"
ACTIVITIES=${BENCH_ACTIVITIES:-100000}
SEARCHES=${BENCH_SEARCHES:-4000}
PORT=${BENCH_PORT:-18094}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
BIND="127.0.0.1:$PORT"
BIN="$ROOT/target/release/socialrx"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT_DIR="$BENCH/out"
OUT="$OUT_DIR/coldstart-$STAMP.txt"
WORK=$(mktemp -d /tmp/socialrx-coldstart-bench.XXXXXX)
READY_SECONDS=180
# shellcheck source=lib.sh
source "$BENCH/lib.sh"

require_tools python3 curl psql sqlite3
build_release

# Starts the service with the saved index in $2 (empty: in memory); writes the seconds
# from process start to the first /readyz 200, polled every 10 ms, to $WORK/ready. (Not
# printed: a command substitution would run it in a subshell, and SERVER_PID with it.)
start_timed() { # database_url index_dir log
    local t0 t1
    t0=$(date +%s.%N)
    (cd "$WORK" && exec env SOCIALRX_BIND="$BIND" DATABASE_URL="$1" SOCIALRX_SEARCH_INDEX_DIR="$2" \
        SOCIALRX_LOG_LEVEL="warn,socialrx_server::jobs::search_feed=info,socialrx_server::startup=info" \
        SOCIALRX_ENVIRONMENT=development "$BIN" serve >"$3" 2>&1) &
    SERVER_PID=$!
    local _
    for _ in $(seq 1 $((READY_SECONDS * 100))); do
        kill -0 "$SERVER_PID" 2>/dev/null || die "the service exited during start-up: $(tail -n 5 "$3")"
        if curl -fs -o /dev/null --max-time 2 "http://$BIND/readyz"; then
            t1=$(date +%s.%N)
            elapsed "$t0" "$t1" >"$WORK/ready"
            return 0
        fi
        sleep 0.01
    done
    die "the service was not ready within $READY_SECONDS s"
}

memory() { # -> "rss hwm anon file" in MiB
    awk '/^VmRSS:/{r=$2} /^VmHWM:/{h=$2} /^RssAnon:/{a=$2} /^RssFile:/{f=$2}
        END {printf "%.0f %.0f %.0f %.0f\n", r/1024, h/1024, a/1024, f/1024}' "/proc/$SERVER_PID/status"
}

search_load() { # -> "requests/s non-200"
    timeout 600 python3 - "http://$BIND" "$WORK/searches/urls.txt" "$SEARCHES" <<'PY'
import http.client, random, sys, threading, time, urllib.parse
base, path, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
urls = [u.strip() for u in open(path) if u.strip()]
random.seed(1)
todo = [random.choice(urls) for _ in range(n)]
bad, lock = [0], threading.Lock()
host = urllib.parse.urlsplit(base).netloc
def worker(share):
    c = http.client.HTTPConnection(host, timeout=10)
    for u in share:
        c.request("GET", u)
        r = c.getresponse(); r.read()
        if r.status != 200:
            with lock: bad[0] += 1
t = time.time()
threads = [threading.Thread(target=worker, args=(todo[i::8],)) for i in range(8)]
for th in threads: th.start()
for th in threads: th.join()
print(f"{n / (time.time() - t):.0f} {bad[0]}")
PY
}

evict() { # dir: drops its files (only) from the page cache
    python3 - "$1" <<'PY'
import os, sys
for root, _, files in os.walk(sys.argv[1]):
    for f in files:
        fd = os.open(os.path.join(root, f), os.O_RDONLY)
        try:
            os.fsync(fd)
            os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(fd)
PY
}

# One start: its row in the table, and (with "load") a search load and memory after it.
run_start() { # backend kind database_url index_dir [load]
    local backend=$1 kind=$2 url=$3 dir=$4 log="$WORK/$1-$2.log" ready mem after="- - - -" load="- -"
    start_timed "$url" "$dir" "$log"
    ready=$(cat "$WORK/ready")
    mem=$(memory)
    if [[ ${5:-} == load ]]; then
        load=$(search_load)
        after=$(memory)
    fi
    stop_server
    local how
    how=$(grep -oE 'saved search index opened and caught up|rebuilding the saved search index|building one in memory' "$log" | head -n1 || true)
    local split
    split=$(grep -oE 'read_ms=[0-9]+ index_ms=[0-9]+|open_ms=[0-9]+ catch_up_ms=[0-9]+ check_ms=[0-9]+ changes=[0-9]+' "$log" | head -n1 || true)
    printf '%s %s %s %s %s %s | %s\n' "$backend" "$kind" "$ready" "$mem" "$after" "$load" \
        "${how:-in memory}${split:+ ($split)}" >>"$WORK/rows.txt"
    log "$backend $kind: ready in $ready s; memory (rss hwm anon file MiB) $mem, after searches $after; ${how:-in memory} $split"
    grep -E ' (WARN|ERROR) ' "$log" | grep -v 'rebuilding the saved search index' | head -n 3 >&2 || true
}

run_backend() { # backend database_url
    local dir="$WORK/$1.search"
    run_start "$1" build "$2" "$dir"
    run_start "$1" open "$2" "$dir" load
    echo "$1 $(du -sm "$dir" | cut -f1)" >>"$WORK/sizes.txt"
    evict "$dir"
    run_start "$1" evicted "$2" "$dir"
    run_start "$1" memory "$2" "" load
}

# --- data (as search.sh) ---------------------------------------------------------------

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
SQLITE_DB="$WORK/search.db"
gen_args=("$WORK/searches" --activities "$ACTIVITIES" --urls 5000)
for backend in $BACKENDS; do
    case $backend in
    sqlite)
        DATABASE_URL="sqlite:$SQLITE_DB" "$BIN" migrate >/dev/null
        gen_args+=(--sqlite "$SQLITE_DB")
        ;;
    postgres)
        psql "$PG_URL/postgres" -qAt -c "select 1" >/dev/null || die "cannot reach PostgreSQL at $PG_URL"
        PG_DB="socialrx_coldstart_bench_$$"
        PG_DBS+=("$PG_DB")
        psql "$PG_URL/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
        DATABASE_URL="$PG_URL/$PG_DB" "$BIN" migrate >/dev/null
        gen_args+=(--csv "$WORK/csv")
        ;;
    *) die "unknown backend $backend" ;;
    esac
done
log "generating $ACTIVITIES activities (one data set for both backends)"
timeout 900 python3 "$BENCH/gen_search.py" "${gen_args[@]}" >"$WORK/load.json"
log "generated: $(cat "$WORK/load.json")"
if [[ -n "${PG_DB:-}" ]]; then
    timeout 600 psql "$PG_URL/$PG_DB" -q -v ON_ERROR_STOP=1 -f "$WORK/csv/load.sql" >/dev/null
    timeout 600 psql "$PG_URL/$PG_DB" -qAt -c "VACUUM ANALYZE" >/dev/null
    rm -rf "$WORK/csv"
fi
# Let the data's writeback finish before anything is timed.
sync

for backend in $BACKENDS; do
    case $backend in
    sqlite) run_backend sqlite "sqlite:$SQLITE_DB" ;;
    postgres) run_backend postgres "$PG_URL/$PG_DB" ;;
    esac
done

# --- report ------------------------------------------------------------------------------

mkdir -p "$OUT_DIR"
{
    echo "socialrx cold start benchmark, $STAMP"
    echo "command: tests/bench/coldstart.sh (BENCH_ACTIVITIES=$ACTIVITIES BENCH_SEARCHES=$SEARCHES BENCH_BACKENDS=\"$BACKENDS\")"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- crates migrations 2>/dev/null || echo ' + uncommitted changes in crates/ or migrations/')"
    echo "machine: $(nproc) cores, load average before the run $LOADAVG"
    echo "data: $(cat "$WORK/load.json")"
    echo "saved index on disk (MiB): $(tr '\n' ' ' <"$WORK/sizes.txt")"
    echo
    python3 - "$WORK/rows.txt" <<'PY'
import sys
head = ("backend", "start", "ready s", "RSS", "HWM", "anon", "file", "RSS after", "HWM after",
        "anon after", "file after", "searches/s", "non-200", "how")
rows = []
for line in open(sys.argv[1]):
    cols, how = line.rstrip("\n").split(" | ")
    c = cols.split()
    c[2] = f"{float(c[2]):.2f}"
    rows.append(c + [how])
w = [max(len(str(r[i])) for r in [head] + rows) for i in range(len(head))]
fmt = lambda r: "  ".join(str(x).rjust(w[i]) if 0 < i < len(head) - 1 else str(x).ljust(w[i]) for i, x in enumerate(r))
print("memory in MiB from /proc/<pid>/status just after ready, and after the search load")
print(fmt(head)); print(fmt(["-" * x for x in w]))
for r in rows: print(fmt(r))
PY
} | tee "$OUT"
log "written to ${OUT#"$ROOT"/}"
