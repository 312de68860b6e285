#!/usr/bin/env bash
# Directory search benchmark (issue 5): GET /v1/activities against the release binary on
# SQLite and on PostgreSQL with 100,000 activities across Great Britain, next to the plain
# database query (full text + bounding box + category) on the same data.
#
#   tests/bench/search.sh
#
# The service is driven by oha at 32 connections with a mixed list of searches (oha
# --urls-from-file, a line picked at random per request), four kinds in equal shares:
# text (q), text + near + radius_km, category + day + free, near only. The plain query is
# pgbench at the same 32 clients on PostgreSQL, and a Python sqlite3 loop on SQLite (one
# thread, then two: one per core). Loopback only, bounded (fixed request counts and
# durations, a timeout on every step), and it cleans up after itself: the server it
# started, its temporary directory and its PostgreSQL database. See tests/bench/README.md.
#
# Knobs (environment):
#   BENCH_REQUESTS=30000     measured requests per backend (oha -n)
#   BENCH_CONCURRENCY=32     oha connections and pgbench clients
#   BENCH_WARMUP=3000        warm-up requests per backend, not measured
#   BENCH_ACTIVITIES=100000  activities generated
#   BENCH_URLS=20000         distinct searches generated
#   BENCH_PLAIN_SECONDS=15   duration of each plain-query run (pgbench -T, the SQLite loop)
#   BENCH_PORT=18092         loopback port for the service
#   BENCH_BACKENDS="sqlite postgres"
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server to create a scratch database on
#   SOCIALRX_MAX_CONNECTIONS, SOCIALRX_WORKERS         passed through to the service
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$ROOT/tests/bench"
REQUESTS=${BENCH_REQUESTS:-30000}
CONCURRENCY=${BENCH_CONCURRENCY:-32}
WARMUP=${BENCH_WARMUP:-3000}
ACTIVITIES=${BENCH_ACTIVITIES:-100000}
URLS=${BENCH_URLS:-20000}
PLAIN_SECONDS=${BENCH_PLAIN_SECONDS:-15}
PORT=${BENCH_PORT:-18092}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
BIND="127.0.0.1:$PORT"
BIN="$ROOT/target/release/socialrx"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT_DIR="$BENCH/out"
OUT="$OUT_DIR/search-$STAMP.txt"

WORK=$(mktemp -d /tmp/socialrx-search-bench.XXXXXX)
# The service builds its search index from the store before it listens.
READY_SECONDS=180
# shellcheck source=lib.sh
source "$BENCH/lib.sh"

# --- tools ---------------------------------------------------------------------------

require_tools python3 curl psql pgbench sqlite3
setup_oha
grep -q -- '--urls-from-file' <<<"$OHA_HELP" || die "this oha has no --urls-from-file (1.16.0 has)"
build_release

# --- measurement helpers -------------------------------------------------------------

run_oha() { # n output.json
    timeout 600 /usr/bin/time -f '%U %S' -o "$WORK/oha.time" \
        oha "${OHA_TUI[@]}" "${OHA_JSON[@]}" -n "$1" -c "$CONCURRENCY" \
        --urls-from-file "$WORK/urls.txt" >"$2"
}

# Items per response for each kind of search, from one sequential pass over 200 of them.
sample_kinds() { # output.json
    head -n 200 "$WORK/urls.txt" | python3 -c '
import json, sys, urllib.request, urllib.parse
by = {}
for url in sys.stdin:
    url = url.strip()
    keys = {k for k, _ in urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)}
    kind = ("text_near" if "near" in keys else "text") if "q" in keys else \
           ("near" if "near" in keys else "category_day_free")
    with urllib.request.urlopen(url, timeout=10) as r:
        n = len(json.load(r)["items"])
    by.setdefault(kind, []).append(n)
print(json.dumps({k: round(sum(v) / len(v), 1) for k, v in sorted(by.items())}))
' >"$1"
}

summarise() { # name oha.json server_ticks oha_time busy total wall pg_ticks hwm,anon,file_kib ready_s items.json
    python3 - "$@" "$CLK_TCK" <<'PY'
import json, sys
name, path, server_ticks, oha_time, busy, total, wall, pg_ticks, rss, ready, items, hz = sys.argv[1:13]
hz = int(hz)
d = json.load(open(path))
s = d["summary"]
p = d.get("latencyPercentiles") or d.get("latency_percentiles") or {}
codes = d.get("statusCodeDistribution", {})
errors = d.get("errorDistribution", {})
print(json.dumps({
    "backend": name, "rps": s["requestsPerSec"],
    "p50_ms": p["p50"] * 1000, "p90_ms": p["p90"] * 1000, "p99_ms": p["p99"] * 1000,
    "max_ms": s["slowest"] * 1000,
    "status": codes, "errors": errors, "sent": sum(codes.values()) + sum(errors.values()),
    "wall_s": float(wall), "server_cpu_s": int(server_ticks) / hz,
    "postgres_cpu_s": int(pg_ticks) / hz,
    "oha_cpu_s": sum(float(x) for x in open(oha_time).read().split()[-2:]),
    "machine_busy_pct": 100.0 * int(busy) / max(int(total), 1),
    "rss_kib": int(rss.split(",")[0]), "rss_anon_kib": int(rss.split(",")[1]),
    "rss_file_kib": int(rss.split(",")[2]),
    "ready_s": float(ready), "items": json.load(open(items)),
}))
PY
}

# --- the service ---------------------------------------------------------------------

run_service() { # name database_url
    local name=$1 url=$2
    sed "s|^|http://$BIND|" "$WORK/searches/urls.txt" >"$WORK/urls.txt"
    log "$name: starting the service (it indexes the directory before it listens)"
    local t0 t1
    t0=$(date +%s.%N)
    start_server "$name" "$url"
    t1=$(date +%s.%N)
    log "$name: ready after $(elapsed "$t0" "$t1") s; sampling 200 searches"
    sample_kinds "$WORK/$name-items.json"
    log "$name: items per response by kind: $(cat "$WORK/$name-items.json")"
    log "$name: warm-up, $WARMUP requests"
    run_oha "$WARMUP" "$WORK/$name-warmup.json"
    log "$name: measured run, $REQUESTS requests at $CONCURRENCY connections"
    local b0 tt0 m0 s0 p0 b1 tt1 m1 s1 p1
    p0=$(pg_ticks); s0=$(proc_ticks "$SERVER_PID"); read -r b0 tt0 < <(machine_ticks); m0=$(date +%s.%N)
    run_oha "$REQUESTS" "$WORK/$name.json"
    require_server_alive "$name" search
    s1=$(proc_ticks "$SERVER_PID"); read -r b1 tt1 < <(machine_ticks); m1=$(date +%s.%N); p1=$(pg_ticks)
    local rss rss_now
    rss=$(awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status")
    # Resident now, split: anonymous (heap: the index, the activities) and file-backed
    # (the binary, and on SQLite the memory-mapped database pages each reader touched).
    rss_now=$(awk '/^RssAnon:/{a = $2} /^RssFile:/{f = $2} END {print a "," f}' "/proc/$SERVER_PID/status")
    stop_server
    if [[ -s "$WORK/$name.log" ]]; then
        mkdir -p "$OUT_DIR" && cp "$WORK/$name.log" "$OUT_DIR/search-$STAMP-$name.log"
        log "$name: the service logged warnings or errors: ${OUT_DIR#"$ROOT"/}/search-$STAMP-$name.log"
    fi
    summarise "$name" "$WORK/$name.json" $((s1 - s0)) "$WORK/oha.time" $((b1 - b0)) $((tt1 - tt0)) \
        "$(elapsed "$m0" "$m1")" $((p1 - p0)) "$rss,$rss_now" "$(elapsed "$t0" "$t1")" "$WORK/$name-items.json" \
        >"$WORK/$name.summary"
    log "$name: $(cat "$WORK/$name.summary")"
}

# --- the plain database query ----------------------------------------------------------

plain_sqlite() { # db_file
    log "sqlite plain: FTS5 index and bounding-box index on a copy of the data"
    timeout 300 sqlite3 "$1" <"$BENCH/sqlite_search_setup.sql"
    local threads b0 t0 b1 t1
    for threads in 1 2; do
        log "sqlite plain: FTS5 + bounding box + category, $threads thread(s), $PLAIN_SECONDS s"
        read -r b0 t0 < <(machine_ticks)
        timeout $((PLAIN_SECONDS + 300)) python3 "$BENCH/search_plain.py" sqlite "$1" \
            "$WORK/searches/plain.jsonl" --seconds "$PLAIN_SECONDS" --threads "$threads" \
            >"$WORK/plain-sqlite-$threads.json"
        read -r b1 t1 < <(machine_ticks)
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["machine_busy_pct"]=100*int(sys.argv[2])/max(int(sys.argv[3]),1); json.dump(d, open(sys.argv[1],"w"))' \
            "$WORK/plain-sqlite-$threads.json" $((b1 - b0)) $((t1 - t0))
        log "sqlite plain: $(cat "$WORK/plain-sqlite-$threads.json")"
    done
}

plain_postgres() { # database
    local db=$1
    log "postgres plain: GIN full-text index and bounding-box index"
    timeout 600 psql "$PG_URL/$db" -qAt -v ON_ERROR_STOP=1 -f "$BENCH/pg_search_setup.sql" >/dev/null
    mkdir -p "$WORK/pgbench"
    python3 "$BENCH/search_plain.py" pgbench-scripts "$WORK/searches/plain.jsonl" \
        "$BENCH/pg_search_plain.sql" "$WORK/pgbench"
    # Warm-up, and how many rows each query finds.
    local counts
    counts=$(timeout 300 psql "$PG_URL/$db" -qAt -v ON_ERROR_STOP=1 -f "$WORK/pgbench/check.sql")
    local scripts=() f
    for f in "$WORK"/pgbench/plain-*.sql; do scripts+=(-f "$f"); done
    log "postgres plain: pgbench -n -M prepared -c $CONCURRENCY -j 2 -T $PLAIN_SECONDS over ${#scripts[@]} / 2 parameter sets"
    local b0 t0 b1 t1 p0 p1
    p0=$(pg_ticks); read -r b0 t0 < <(machine_ticks)
    (cd "$WORK/pgbench" && timeout $((PLAIN_SECONDS + 120)) \
        /usr/bin/time -f '%U %S' -o "$WORK/pgbench.time" pgbench -n -M prepared -c "$CONCURRENCY" -j 2 \
        -T "$PLAIN_SECONDS" -l --log-prefix="$WORK/pgbench/log" "${scripts[@]}" "$PG_URL/$db" \
        >"$WORK/pgbench.txt" 2>&1) || { cat "$WORK/pgbench.txt" >&2; die "pgbench failed"; }
    read -r b1 t1 < <(machine_ticks); p1=$(pg_ticks)
    local tps lat
    tps=$(awk '/^tps = /{print $3}' "$WORK/pgbench.txt")
    lat=$(python3 "$BENCH/search_plain.py" pgbench-log "$WORK/pgbench/log")
    python3 -c 'import json,sys; a=sys.argv; d=json.loads(a[2]); n=[int(x) for x in a[3].split()]; d.update({"qps": float(a[1]), "rows_mean": sum(n)/max(len(n),1), "rows_zero": sum(1 for x in n if x == 0), "machine_busy_pct": 100*int(a[4])/max(int(a[5]),1), "postgres_cpu_s": int(a[6])/int(a[7]), "pgbench_cpu_s": sum(map(float, open(a[8]).read().split()[-2:]))}); print(json.dumps(d))' \
        "$tps" "$lat" "$counts" $((b1 - b0)) $((t1 - t0)) $((p1 - p0)) "$CLK_TCK" "$WORK/pgbench.time" \
        >"$WORK/plain-postgres.json"
    log "postgres plain: $(cat "$WORK/plain-postgres.json")"
}

# --- data ----------------------------------------------------------------------------

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
SQLITE_DB="$WORK/search.db"
want_sqlite=0; want_pg=0
for backend in $BACKENDS; do
    case $backend in
    sqlite) want_sqlite=1 ;;
    postgres) want_pg=1 ;;
    *) die "unknown backend $backend" ;;
    esac
done
gen_args=("$WORK/searches" --activities "$ACTIVITIES" --urls "$URLS")
if [[ $want_sqlite == 1 ]]; then
    DATABASE_URL="sqlite:$SQLITE_DB" "$BIN" migrate >/dev/null
    gen_args+=(--sqlite "$SQLITE_DB")
fi
if [[ $want_pg == 1 ]]; then
    psql "$PG_URL/postgres" -qAt -c "select 1" >/dev/null || die "cannot reach PostgreSQL at $PG_URL"
    PG_SETTINGS=$(psql "$PG_URL/postgres" -qAt -F= -c "select name, setting from pg_settings where name in ('shared_buffers','max_connections','jit','work_mem') order by name" | tr '\n' ' ')
    PG_DB="socialrx_search_bench_$$"
    PG_DBS+=("$PG_DB")
    psql "$PG_URL/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
    DATABASE_URL="$PG_URL/$PG_DB" "$BIN" migrate >/dev/null
    gen_args+=(--csv "$WORK/csv")
fi
log "generating $ACTIVITIES activities and $URLS searches (one data set for both backends)"
timeout 900 python3 "$BENCH/gen_search.py" "${gen_args[@]}" >"$WORK/load.json"
log "generated: $(cat "$WORK/load.json")"
if [[ $want_pg == 1 ]]; then
    started=$(date +%s)
    timeout 600 psql "$PG_URL/$PG_DB" -q -v ON_ERROR_STOP=1 -f "$WORK/csv/load.sql" >/dev/null
    log "postgres: loaded in $(( $(date +%s) - started )) s"
    rm -rf "$WORK/csv"
fi

# --- run -----------------------------------------------------------------------------

for backend in $BACKENDS; do
    case $backend in
    sqlite)
        run_service sqlite "sqlite:$SQLITE_DB"
        plain_sqlite "$SQLITE_DB"
        ;;
    postgres)
        run_service postgres "$PG_URL/$PG_DB"
        plain_postgres "$PG_DB"
        drop_pg_dbs
        ;;
    esac
done

# --- report --------------------------------------------------------------------------

mkdir -p "$OUT_DIR"
python3 - "$WORK" "$BACKENDS" >"$WORK/report.txt" <<'PY'
import json, os, sys
work, backends = sys.argv[1], sys.argv[2].split()
rows, cpu, plain_rows, targets, notes = [], [], [], [], []
for b in backends:
    s = json.load(open(os.path.join(work, f"{b}.summary")))
    if b == "sqlite":
        runs = [json.load(open(os.path.join(work, f"plain-sqlite-{t}.json"))) for t in (1, 2)]
        for r in runs:
            plain_rows.append((b, f'Python sqlite3 loop, {r["threads"]} thread(s)', f'{r["qps"]:.0f}',
                               f'{r["p50_ms"]:.1f}', f'{r["p99_ms"]:.1f}', f'{r["rows_mean"]:.1f}',
                               f'{r["machine_busy_pct"]:.0f}%'))
        plain = max(runs, key=lambda r: r["qps"])
    else:
        plain = json.load(open(os.path.join(work, "plain-postgres.json")))
        plain_rows.append((b, f'pgbench -M prepared, {plain["transactions"]} queries',
                           f'{plain["qps"]:.0f}', f'{plain["p50_ms"]:.1f}', f'{plain["p99_ms"]:.1f}',
                           f'{plain["rows_mean"]:.1f}', f'{plain["machine_busy_pct"]:.0f}%'))
    ratio = s["rps"] / plain["qps"]
    non200 = s["sent"] - s["status"].get("200", 0)
    rss = s["rss_kib"] / 1024
    rows.append((b, f'{s["rps"]:.0f}', f'{s["p50_ms"]:.1f}', f'{s["p99_ms"]:.1f}', str(non200),
                 f'{rss:.0f}', f'{s["rss_anon_kib"] / 1024:.0f} / {s["rss_file_kib"] / 1024:.0f}',
                 f'{plain["qps"]:.0f}', f'{plain["p99_ms"]:.1f}', f'{ratio:.2f}x'))
    yes = lambda ok: "met" if ok else "NOT MET"
    targets.append((b, f'{yes(s["p99_ms"] < 25)} ({s["p99_ms"]:.1f} ms)',
                    f'{yes(ratio >= 2)} ({ratio:.2f}x)', f'{yes(rss < 256)} ({rss:.0f} MiB)',
                    yes(non200 == 0 and not s["errors"])))
    if non200 or s["errors"]:
        notes.append(f'{b}: {non200} of {s["sent"]} requests were not 200: {s["status"]} {s["errors"]}')
    busy_s = s["wall_s"] * os.cpu_count() * s["machine_busy_pct"] / 100
    other = max(busy_s - s["server_cpu_s"] - s["oha_cpu_s"] - s["postgres_cpu_s"], 0)
    cpu.append((b, f'{s["wall_s"]:.1f}', f'{s["server_cpu_s"]:.1f}', f'{s["oha_cpu_s"]:.1f}',
                f'{s["postgres_cpu_s"]:.1f}', f'{other:.1f}', f'{s["machine_busy_pct"]:.0f}%',
                f'{1e6 * s["server_cpu_s"] / max(s["sent"], 1):.0f}'))
    if other > 0.15 * s["wall_s"] * os.cpu_count():
        notes.append(f'{b}: WARNING other processes used {other:.1f} CPU-s '
                     f'({100 * other / (s["wall_s"] * os.cpu_count()):.0f}% of the machine) during the run; '
                     'the figures are disturbed')
    notes.append(f'{b}: ready {s["ready_s"]:.1f} s after start (index built from the store); '
                 f'slowest request {s["max_ms"]:.0f} ms; p90 {s["p90_ms"]:.1f} ms; '
                 f'items per response by kind {s["items"]}')
    if b == "postgres":
        notes.append(f'postgres plain: {plain["rows_zero"]} of the parameter sets find nothing; '
                     f'postgres {plain["postgres_cpu_s"]:.1f} CPU-s, pgbench {plain["pgbench_cpu_s"]:.1f} CPU-s')

def table(head, body):
    w = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i]) for i, c in enumerate(r))
    return "\n".join([line(head), line(["-" * x for x in w])] + [line(r) for r in body])

print(table(("backend", "service req/s", "p50 ms", "p99 ms", "non-200", "peak RSS MiB",
             "anon / file MiB after", "plain q/s", "plain p99 ms", "ratio"), rows))
print()
print("Targets (issue 5): p99 under 25 ms at 32 clients, at least 2x the plain query, RSS under 256 MiB:")
print(table(("backend", "p99 < 25 ms", "ratio >= 2", "RSS < 256 MiB", "all 200"), targets))
print()
print("The plain query (full text + bounding box + category, best 20), on the same data:")
print(table(("backend", "run", "queries/s", "p50 ms", "p99 ms", "rows/query", "machine busy"), plain_rows))
print()
print("CPU during the service's measured run (2 cores = 2 CPU-seconds per second):")
print(table(("backend", "wall s", "server cpu s", "oha cpu s", "postgres cpu s", "other cpu s",
             "machine busy", "server µs/req"), cpu))
print()
for n in notes:
    print(n)
PY

{
    echo "socialrx search benchmark, $STAMP"
    echo "command: tests/bench/search.sh (BENCH_REQUESTS=$REQUESTS BENCH_CONCURRENCY=$CONCURRENCY BENCH_WARMUP=$WARMUP BENCH_ACTIVITIES=$ACTIVITIES BENCH_URLS=$URLS BENCH_PLAIN_SECONDS=$PLAIN_SECONDS)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- crates migrations 2>/dev/null || echo ' + uncommitted changes in crates/ or migrations/')"
    echo "machine: $(nproc) cores, load average before the run $LOADAVG; $OHA_VERSION; $(psql --version | head -n1); SQLite $(sqlite3 --version | cut -d' ' -f1)"
    echo "service: SOCIALRX_MAX_CONNECTIONS=${SOCIALRX_MAX_CONNECTIONS:-default} SOCIALRX_WORKERS=${SOCIALRX_WORKERS:-default}, log level warn"
    echo "postgres: ${PG_SETTINGS:-not run}"
    echo "data: $(cat "$WORK/load.json")"
    echo "searches: GET /v1/activities, a line of $URLS at random per request: text (q), text + near + radius_km, category + day + free, near only, in equal shares"
    echo
    cat "$WORK/report.txt"
} | tee "$OUT"
log "written to ${OUT#"$ROOT"/}"
