#!/usr/bin/env bash
# Referral intake benchmark: POST /v1/referrals against the release binary on SQLite and
# on PostgreSQL, next to the raw insert limit of each database at the same durability.
#
#   tests/bench/intake.sh
#
# Loopback only, bounded (fixed request counts, a timeout on every step) and it cleans up
# after itself: the server it started, its temporary directory and its PostgreSQL
# databases. See tests/bench/README.md for what is measured and how to read the table.
#
# Knobs (environment):
#   BENCH_REQUESTS=20000     measured requests per backend (oha -n)
#   BENCH_CONCURRENCY=64     concurrent connections (oha -c, pgbench -c)
#   BENCH_WARMUP=2000        warm-up requests per backend, not measured
#   BENCH_BODIES=100000      distinct referral bodies generated (people: few repeats)
#   BENCH_RAW_SQLITE=20000   rows in the raw SQLite loop
#   BENCH_PGBENCH_SECONDS=15 pgbench duration (-T)
#   BENCH_PORT=18090         loopback port for the service
#   BENCH_BACKENDS="sqlite postgres"
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server to create scratch databases on
#   BENCH_DIAGNOSTICS=1      also measure the intake transaction's own shape on each database
#                            (no HTTP): the ceiling the write path can reach as it is written
#   SOCIALRX_MAX_CONNECTIONS, SOCIALRX_WORKERS         passed through to the service
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$ROOT/tests/bench"
REQUESTS=${BENCH_REQUESTS:-20000}
CONCURRENCY=${BENCH_CONCURRENCY:-64}
WARMUP=${BENCH_WARMUP:-2000}
BODIES=${BENCH_BODIES:-100000}
RAW_SQLITE=${BENCH_RAW_SQLITE:-20000}
PGBENCH_SECONDS=${BENCH_PGBENCH_SECONDS:-15}
PORT=${BENCH_PORT:-18090}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
DIAGNOSTICS=${BENCH_DIAGNOSTICS:-1}
BIND="127.0.0.1:$PORT"
BIN="$ROOT/target/release/socialrx"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT_DIR="$BENCH/out"
OUT="$OUT_DIR/intake-$STAMP.txt"

WORK=$(mktemp -d /tmp/socialrx-bench.XXXXXX)
# shellcheck source=lib.sh
source "$BENCH/lib.sh"

# --- tools ---------------------------------------------------------------------------

require_tools python3 curl psql pgbench
setup_oha
build_release

# --- bodies --------------------------------------------------------------------------

log "generating $BODIES referral bodies"
BODY_INFO=$(python3 "$BENCH/gen_bodies.py" "$WORK/bodies" "$BODIES")
log "$BODY_INFO"
if grep -q -- 'BODY_PATH_LINES' <<<"$OHA_HELP"; then
    OHA_BODY=(-Z "$WORK/bodies/bodies.jsonl")
    BODY_MODE="each request takes one of the $BODIES bodies at random (oha -Z)"
else
    OHA_BODY=(-D "$WORK/bodies/body.json")
    BODY_MODE="one body for every request (this oha has no -Z)"
fi
TOKEN=$(cd "$WORK" && "$BIN" token --org Y02794 --sub bench --roles referrer --ttl 7200)

# --- measurement helpers -------------------------------------------------------------

run_oha() { # n output.json
    timeout 300 /usr/bin/time -f '%U %S' -o "$WORK/oha.time" \
        oha "${OHA_TUI[@]}" "${OHA_JSON[@]}" -n "$1" -c "$CONCURRENCY" -m POST \
        -H "Authorization: Bearer $TOKEN" -T application/json "${OHA_BODY[@]}" \
        "http://$BIND/v1/referrals" >"$2"
}

# Prints one JSON object with the run's figures.
summarise() { # name oha.json server_ticks oha_time busy total wall count_rows pg_ticks
    python3 - "$@" "$CLK_TCK" <<'PY'
import json, sys
name, path, server_ticks, oha_time, busy, total, wall, rows, pg_ticks, hz = sys.argv[1:11]
hz = int(hz)
d = json.load(open(path))
s = d["summary"]
p = d.get("latencyPercentiles") or d.get("latency_percentiles") or {}
codes = d.get("statusCodeDistribution", {})
errors = d.get("errorDistribution", {})
sent = sum(codes.values()) + sum(errors.values())
oha_cpu = sum(float(x) for x in open(oha_time).read().split()[-2:])
print(json.dumps({
    "backend": name,
    "rps": s["requestsPerSec"],
    "p50_ms": p["p50"] * 1000, "p99_ms": p["p99"] * 1000,
    "max_ms": s["slowest"] * 1000,
    "status": codes, "errors": errors, "sent": sent, "rows": int(rows),
    "wall_s": float(wall),
    "server_cpu_s": int(server_ticks) / hz,
    "postgres_cpu_s": int(pg_ticks) / hz,
    "oha_cpu_s": oha_cpu,
    "machine_busy_pct": 100.0 * int(busy) / max(int(total), 1),
}))
PY
}

# --- the service ---------------------------------------------------------------------

run_service() { # name database_url count_rows_command...
    local name=$1 url=$2; shift 2
    log "$name: starting the service"
    start_server "$name" "$url"
    log "$name: warm-up, $WARMUP requests"
    run_oha "$WARMUP" "$WORK/$name-warmup.json"
    log "$name: measured run, $REQUESTS requests at $CONCURRENCY connections"
    local b0 t0 m0 s0 p0 b1 t1 m1 s1 p1
    p0=$(pg_ticks); s0=$(proc_ticks "$SERVER_PID"); read -r b0 t0 < <(machine_ticks); m0=$(date +%s.%N)
    run_oha "$REQUESTS" "$WORK/$name.json"
    require_server_alive "$name" intake
    s1=$(proc_ticks "$SERVER_PID"); read -r b1 t1 < <(machine_ticks); m1=$(date +%s.%N); p1=$(pg_ticks)
    RSS_KB=$(awk '/^VmHWM:/{print $2}' "/proc/$SERVER_PID/status")
    local rows; rows=$("$@")
    stop_server
    if [[ -s "$WORK/$name.log" ]]; then
        mkdir -p "$OUT_DIR" && cp "$WORK/$name.log" "$OUT_DIR/intake-$STAMP-$name.log"
        log "$name: the service logged warnings or errors: ${OUT_DIR#"$ROOT"/}/intake-$STAMP-$name.log"
    fi
    summarise "$name" "$WORK/$name.json" $((s1 - s0)) "$WORK/oha.time" $((b1 - b0)) $((t1 - t0)) \
        "$(awk -v a="$m0" -v b="$m1" 'BEGIN{print b - a}')" "$rows" $((p1 - p0)) >"$WORK/$name.summary"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["rss_kib"]=int(sys.argv[2]); json.dump(d, open(sys.argv[1],"w"))' \
        "$WORK/$name.summary" "$RSS_KB"
    log "$name: $(cat "$WORK/$name.summary")"
}

sqlite_rows() { python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from referrals").fetchone()[0])' "$1"; }
pg_rows() { psql "$PG_URL/$1" -qAt -c "select count(*) from referrals"; }

# --- raw limits ----------------------------------------------------------------------

raw_sqlite() {
    log "sqlite raw: $RAW_SQLITE single-row transactions, WAL, synchronous=FULL"
    local b0 t0 b1 t1
    read -r b0 t0 < <(machine_ticks)
    timeout 300 python3 "$BENCH/raw_sqlite.py" "$WORK/raw.db" "$WORK/bodies/bodies.jsonl" "$RAW_SQLITE" >"$WORK/raw-sqlite.json"
    read -r b1 t1 < <(machine_ticks)
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["machine_busy_pct"]=100*int(sys.argv[2])/max(int(sys.argv[3]),1); json.dump(d, open(sys.argv[1],"w"))' \
        "$WORK/raw-sqlite.json" $((b1 - b0)) $((t1 - t0))
    log "sqlite raw: $(cat "$WORK/raw-sqlite.json")"
}

raw_postgres() {
    local db="socialrx_bench_raw_$$"
    PG_DBS+=("$db")
    psql "$PG_URL/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null
    psql "$PG_URL/$db" -qAt -v ON_ERROR_STOP=1 -f "$BENCH/pg_raw_schema.sql" >/dev/null
    log "postgres raw: pgbench -c $CONCURRENCY -j 2 -T $PGBENCH_SECONDS, synchronous_commit=on"
    local b0 t0 b1 t1 p0 p1
    p0=$(pg_ticks); read -r b0 t0 < <(machine_ticks)
    PGOPTIONS="-c synchronous_commit=on" timeout $((PGBENCH_SECONDS + 120)) \
        /usr/bin/time -f '%U %S' -o "$WORK/pgbench.time" pgbench -n -M prepared -c "$CONCURRENCY" -j 2 -T "$PGBENCH_SECONDS" \
        -f "$BENCH/pg_raw_insert.sql" "$PG_URL/$db" >"$WORK/pgbench.txt" 2>&1 \
        || { cat "$WORK/pgbench.txt" >&2; die "pgbench failed"; }
    read -r b1 t1 < <(machine_ticks); p1=$(pg_ticks)
    local tps row
    tps=$(awk '/^tps = /{print $3}' "$WORK/pgbench.txt")
    row=$(psql "$PG_URL/$db" -qAt -c "select count(*) || ' rows, ' || avg(pg_column_size(r.*))::int || ' B/row' from referral_raw r")
    python3 -c 'import json,sys; a=sys.argv; print(json.dumps({"inserts_per_sec": float(a[1]), "rows": a[2], "machine_busy_pct": 100*int(a[3])/max(int(a[4]),1), "latency": a[5], "postgres_cpu_s": int(a[6])/int(a[7]), "pgbench_cpu_s": sum(map(float, open(a[8]).read().split()[-2:]))}))' \
        "$tps" "$row" $((b1 - b0)) $((t1 - t0)) "$(awk -F' = ' '/^latency average/{print $2}' "$WORK/pgbench.txt")" \
        $((p1 - p0)) "$CLK_TCK" "$WORK/pgbench.time" \
        >"$WORK/raw-postgres.json"
    log "postgres raw: $(cat "$WORK/raw-postgres.json")"
    psql "$PG_URL/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
}

# --- diagnostics: the intake transaction's shape, without HTTP ------------------------

shape_sqlite() {
    log "sqlite shape: the four intake rows per transaction, then 16 referrals per transaction"
    timeout 300 python3 "$BENCH/shape_sqlite.py" "$WORK" "$WORK/bodies/bodies.jsonl" \
        "$ROOT/migrations/sqlite" "$RAW_SQLITE" 16 >"$WORK/shape-sqlite.jsonl"
    log "sqlite shape: $(tr '\n' ' ' <"$WORK/shape-sqlite.jsonl")"
}

shape_postgres() {
    local db="socialrx_bench_shape_$$" script f
    PG_DBS+=("$db")
    : >"$WORK/shape-postgres.jsonl"
    for script in tx cte; do
        psql "$PG_URL/postgres" -qAt -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS \"$db\"" -c "CREATE DATABASE \"$db\"" >/dev/null
        for f in "$ROOT"/migrations/postgres/*.sql "$BENCH/pg_shape_setup.sql"; do
            psql "$PG_URL/$db" -qAt -v ON_ERROR_STOP=1 -f "$f" >/dev/null
        done
        log "postgres shape ($script): pgbench -c $CONCURRENCY -j 2 -T 10 on the service's schema"
        PGOPTIONS="-c synchronous_commit=on" timeout 180 pgbench -n -M prepared -c "$CONCURRENCY" -j 2 -T 10 \
            -f "$BENCH/pg_shape_$script.sql" "$PG_URL/$db" >"$WORK/pgbench-$script.txt" 2>&1 \
            || { cat "$WORK/pgbench-$script.txt" >&2; die "pgbench ($script) failed"; }
        printf '{"mode": "%s", "referrals_per_sec": %s}\n' "$script" \
            "$(awk '/^tps = /{print $3}' "$WORK/pgbench-$script.txt")" >>"$WORK/shape-postgres.jsonl"
    done
    psql "$PG_URL/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
    log "postgres shape: $(tr '\n' ' ' <"$WORK/shape-postgres.jsonl")"
}

# --- run -----------------------------------------------------------------------------

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for backend in $BACKENDS; do
    case $backend in
    sqlite)
        run_service sqlite "sqlite:$WORK/service.db" sqlite_rows "$WORK/service.db"
        raw_sqlite
        if [[ "$DIAGNOSTICS" == 1 ]]; then shape_sqlite; fi
        ;;
    postgres)
        psql "$PG_URL/postgres" -qAt -c "select 1" >/dev/null || die "cannot reach PostgreSQL at $PG_URL"
        PG_SETTINGS=$(psql "$PG_URL/postgres" -qAt -F= -c "select name, setting from pg_settings where name in ('synchronous_commit','fsync','max_connections') order by name" | tr '\n' ' ')
        db="socialrx_bench_$$"
        PG_DBS+=("$db")
        psql "$PG_URL/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$db\"" >/dev/null
        run_service postgres "$PG_URL/$db" pg_rows "$db"
        psql "$PG_URL/postgres" -qAt -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null
        raw_postgres
        if [[ "$DIAGNOSTICS" == 1 ]]; then shape_postgres; fi
        ;;
    *) die "unknown backend $backend" ;;
    esac
done

# --- report --------------------------------------------------------------------------

mkdir -p "$OUT_DIR"
python3 - "$WORK" "$BACKENDS" >"$WORK/report.txt" <<'PY'
import json, os, sys
work, backends = sys.argv[1], sys.argv[2].split()
rows, notes, cpu = [], [], []
for b in backends:
    s = json.load(open(os.path.join(work, f"{b}.summary")))
    raw = json.load(open(os.path.join(work, f"raw-{b}.json")))
    ratio = s["rps"] / raw["inserts_per_sec"]
    rows.append((b, f'{s["rps"]:.0f}', f'{s["p50_ms"]:.1f}', f'{s["p99_ms"]:.1f}',
                 f'{raw["inserts_per_sec"]:.0f}', f'{100 * ratio:.0f}%', f'{s["rss_kib"] / 1024:.1f}'))
    ok = s["status"].get("201", 0)
    if ok != s["sent"] or s["errors"]:
        notes.append(f'{b}: {s["sent"] - ok} of {s["sent"]} requests were not 201: {s["status"]} {s["errors"]}')
    busy_s = s["wall_s"] * os.cpu_count() * s["machine_busy_pct"] / 100
    other = max(busy_s - s["server_cpu_s"] - s["oha_cpu_s"] - s["postgres_cpu_s"], 0)
    cpu.append((b, f'{s["wall_s"]:.1f}', f'{s["server_cpu_s"]:.1f}', f'{s["oha_cpu_s"]:.1f}',
                f'{s["postgres_cpu_s"]:.1f}', f'{other:.1f}', f'{s["machine_busy_pct"]:.0f}%',
                f'{1e6 * s["server_cpu_s"] / max(s["sent"], 1):.0f}',
                f'{1e6 * (s["server_cpu_s"] + s["postgres_cpu_s"]) / max(s["sent"], 1):.0f}',
                f'{raw["machine_busy_pct"]:.0f}%'))
    if other > 0.15 * s["wall_s"] * os.cpu_count():
        notes.append(f'{b}: WARNING other processes used {other:.1f} CPU-s '
                     f'({100 * other / (s["wall_s"] * os.cpu_count()):.0f}% of the machine) during the run; '
                     'the figures are disturbed')
    notes.append(f'{b}: {s["rows"]} referrals in the database after the run (warm-up included); '
                 f'slowest request {s["max_ms"]:.0f} ms')
    if b == "postgres":
        done = int(raw["rows"].split()[0])  # rows in the table = inserts made
        notes.append(f'postgres raw: {raw["rows"]}, pgbench latency average {raw["latency"]}; '
                     f'postgres {1e6 * raw["postgres_cpu_s"] / done:.0f} µs CPU/insert, '
                     f'pgbench {1e6 * raw["pgbench_cpu_s"] / done:.0f} µs CPU/insert')
    else:
        notes.append(f'sqlite raw: {raw["count"]} rows, {raw["avg_row_bytes"]} B/row payload, '
                     f'SQLite {raw["sqlite_version"]}')

def table(head, body):
    w = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i]) for i, c in enumerate(r))
    return "\n".join([line(head), line(["-" * x for x in w])] + [line(r) for r in body])

print(table(("backend", "requests/s", "p50 ms", "p99 ms", "raw inserts/s", "ratio", "peak RSS MiB"), rows))
print()
print("CPU during the measured run (2 cores = 2 CPU-seconds per second):")
print(table(("backend", "wall s", "server cpu s", "oha cpu s", "postgres cpu s", "other cpu s",
             "machine busy", "server µs/req", "server+pg µs/req", "busy during raw"), cpu))
shape = []
for b in backends:
    path = os.path.join(work, f"shape-{b}.jsonl")
    if not os.path.exists(path):
        continue
    raw = json.load(open(os.path.join(work, f"raw-{b}.json")))["inserts_per_sec"]
    rps = json.load(open(os.path.join(work, f"{b}.summary")))["rps"]
    label = {"shape": "4 rows/tx, 1 referral/tx (python3 sqlite3)",
             "batch": "4 rows/referral, 16 referrals/tx (python3 sqlite3)",
             "tx": "BEGIN + 4 INSERTs + COMMIT, 6 round trips (pgbench)",
             "cte": "4 INSERTs in one CTE statement, 1 round trip (pgbench)"}
    for line in open(path):
        d = json.loads(line)
        shape.append((b, label[d["mode"]], f'{d["referrals_per_sec"]:.0f}',
                      f'{100 * d["referrals_per_sec"] / raw:.0f}%', f'{100 * rps / d["referrals_per_sec"]:.0f}%'))
if shape:
    print()
    print("Diagnostics: the intake rows written straight to the database on the service's schema, no HTTP:")
    print(table(("backend", "transaction", "referrals/s", "÷ raw", "service ÷ this"), shape))
print()
for n in notes:
    print(n)
PY

{
    echo "socialrx intake benchmark, $STAMP"
    echo "command: tests/bench/intake.sh (BENCH_REQUESTS=$REQUESTS BENCH_CONCURRENCY=$CONCURRENCY BENCH_WARMUP=$WARMUP)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- crates migrations 2>/dev/null || echo ' + uncommitted changes in crates/ or migrations/')"
    echo "machine: $(nproc) cores, load average before the run $LOADAVG; $OHA_VERSION; $(psql --version | head -n1)"
    echo "service: SOCIALRX_MAX_CONNECTIONS=${SOCIALRX_MAX_CONNECTIONS:-default} SOCIALRX_WORKERS=${SOCIALRX_WORKERS:-default}, log level warn"
    echo "postgres: ${PG_SETTINGS:-not run}"
    echo "bodies: $BODY_INFO; $BODY_MODE; no Idempotency-Key header"
    echo "raw: SQLite $RAW_SQLITE single-row transactions (python3 sqlite3, WAL, synchronous=FULL, one connection);"
    echo "     pgbench -n -M prepared -c $CONCURRENCY -j 2 -T $PGBENCH_SECONDS, one ~1.5 KB row per transaction, synchronous_commit=on"
    echo
    cat "$WORK/report.txt"
} | tee "$OUT"
log "written to ${OUT#"$ROOT"/}"
