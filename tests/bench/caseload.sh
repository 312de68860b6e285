#!/usr/bin/env bash
# Caseload benchmark: GET /v1/link-workers/{id}/caseload against the release binary on
# SQLite and on PostgreSQL, with 200 link workers and 100,000 referrals loaded.
#
#   tests/bench/caseload.sh
#
# Two runs per backend: as fast as 32 clients can go (closed loop: each client sends its
# next request when the last is answered), then paced at BENCH_RATE requests per second
# over the same 32 connections (open loop, with oha's latency correction), which is what
# a service of 200 link workers sees even when everyone refreshes at once.
#
# Each request asks for a link worker picked at random from the 200 (oha --urls-from-file)
# with a coordinator's token; every answer lists that worker's open referrals in priority
# order and audits each of them. Loopback only, bounded (fixed request counts, a timeout on
# every step), and it cleans up after itself: the server it started, its temporary
# directory and its PostgreSQL database.
#
# Knobs (environment):
#   BENCH_REQUESTS=20000     measured requests per backend (oha -n)
#   BENCH_CONCURRENCY=32     concurrent connections (oha -c)
#   BENCH_WARMUP=2000        warm-up requests per backend, not measured
#   BENCH_RATE=200           requests per second of the second, paced run (oha -q, same -c)
#   BENCH_RATE_SECONDS=20    length of the paced run
#   BENCH_WORKERS=200        link workers generated
#   BENCH_REFERRALS=100000   referrals generated
#   BENCH_PORT=18091         loopback port for the service
#   BENCH_BACKENDS="sqlite postgres"
#   BENCH_PG_URL=postgres://postgres@127.0.0.1:5432   server to create a scratch database on
#   SOCIALRX_MAX_CONNECTIONS, SOCIALRX_WORKERS         passed through to the service
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH="$ROOT/tests/bench"
REQUESTS=${BENCH_REQUESTS:-20000}
CONCURRENCY=${BENCH_CONCURRENCY:-32}
WARMUP=${BENCH_WARMUP:-2000}
RATE=${BENCH_RATE:-200}
RATE_SECONDS=${BENCH_RATE_SECONDS:-20}
WORKERS=${BENCH_WORKERS:-200}
REFERRALS=${BENCH_REFERRALS:-100000}
PORT=${BENCH_PORT:-18091}
BACKENDS=${BENCH_BACKENDS:-"sqlite postgres"}
PG_URL=${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}
BIND="127.0.0.1:$PORT"
BIN="$ROOT/target/release/socialrx"
STAMP=$(date -u +%Y-%m-%dT%H%M%SZ)
OUT_DIR="$BENCH/out"
OUT="$OUT_DIR/caseload-$STAMP.txt"

WORK=$(mktemp -d /tmp/socialrx-caseload-bench.XXXXXX)
# shellcheck source=lib.sh
source "$BENCH/lib.sh"

# --- tools ---------------------------------------------------------------------------

require_tools python3 curl psql
setup_oha
grep -q -- '--urls-from-file' <<<"$OHA_HELP" || die "this oha has no --urls-from-file (1.16.0 has)"
build_release
TOKEN=$(cd "$WORK" && "$BIN" token --org Y02794 --sub bench-coordinator --roles coordinator --ttl 7200)

# --- helpers -------------------------------------------------------------------------

run_oha() { # n output.json [extra oha arguments]
    local n=$1 out=$2; shift 2
    timeout 300 oha "${OHA_TUI[@]}" "${OHA_JSON[@]}" -n "$n" -c "$CONCURRENCY" "$@" \
        -H "Authorization: Bearer $TOKEN" --urls-from-file "$WORK/urls.txt" >"$out"
}

summarise() { # name oha.json paced.json load.json items_per_response
    python3 - "$@" <<'PY'
import json, sys
name, path, paced, load, items = sys.argv[1:6]

def figures(path):
    d = json.load(open(path))
    s = d["summary"]
    p = d.get("latencyPercentiles") or d.get("latency_percentiles") or {}
    return {"rps": s["requestsPerSec"], "p50_ms": p["p50"] * 1000, "p90_ms": p["p90"] * 1000,
            "p99_ms": p["p99"] * 1000, "max_ms": s["slowest"] * 1000,
            "status": d.get("statusCodeDistribution", {}), "errors": d.get("errorDistribution", {})}

print(json.dumps({"backend": name, "closed": figures(path), "paced": figures(paced),
                  "load": json.load(open(load)), "items_per_response": float(items)}))
PY
}

measure() { # name database_url
    local name=$1 url=$2
    sed "s|^|http://$BIND/v1/link-workers/|; s|$|/caseload|" "$WORK/workers.txt" >"$WORK/urls.txt"
    start_server "$name" "$url"
    local items
    items=$(head -n 20 "$WORK/urls.txt" | while read -r u; do
        curl -fsS --retry 3 --retry-connrefused -H "Authorization: Bearer $TOKEN" "$u"; echo; done \
        | python3 -c 'import json,sys; n=[len(json.loads(l)["items"]) for l in sys.stdin if l.strip()]; print(sum(n)/len(n))')
    log "$name: warm-up, $WARMUP requests ($items items per caseload on average)"
    run_oha "$WARMUP" "$WORK/$name-warmup.json"
    log "$name: measured run, $REQUESTS requests at $CONCURRENCY connections"
    run_oha "$REQUESTS" "$WORK/$name.json"
    log "$name: paced run, $RATE requests/s for $RATE_SECONDS s at up to $CONCURRENCY connections"
    run_oha $((RATE * RATE_SECONDS)) "$WORK/$name-paced.json" -q "$RATE" --latency-correction
    stop_server
    summarise "$name" "$WORK/$name.json" "$WORK/$name-paced.json" "$WORK/$name-load.json" "$items" \
        >"$WORK/$name.summary"
    log "$name: $(cat "$WORK/$name.summary")"
}

# --- run -----------------------------------------------------------------------------

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for backend in $BACKENDS; do
    case $backend in
    sqlite)
        db="$WORK/caseload.db"
        DATABASE_URL="sqlite:$db" "$BIN" migrate >/dev/null
        log "sqlite: generating $WORKERS link workers and $REFERRALS referrals"
        timeout 600 python3 "$BENCH/gen_caseload.py" sqlite "$db" "$WORK/workers.txt" \
            --workers "$WORKERS" --referrals "$REFERRALS" >"$WORK/sqlite-load.json"
        log "sqlite: loaded $(cat "$WORK/sqlite-load.json")"
        measure sqlite "sqlite:$db"
        ;;
    postgres)
        psql "$PG_URL/postgres" -qAt -c "select 1" >/dev/null || die "cannot reach PostgreSQL at $PG_URL"
        PG_SETTINGS=$(psql "$PG_URL/postgres" -qAt -F= -c "select name, setting from pg_settings where name in ('synchronous_commit','fsync','shared_buffers','max_connections') order by name" | tr '\n' ' ')
        PG_DB="socialrx_caseload_bench_$$"
        PG_DBS+=("$PG_DB")
        psql "$PG_URL/postgres" -qAt -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
        DATABASE_URL="$PG_URL/$PG_DB" "$BIN" migrate >/dev/null
        log "postgres: generating $WORKERS link workers and $REFERRALS referrals"
        started=$(date +%s)
        timeout 600 python3 "$BENCH/gen_caseload.py" csv "$WORK/csv" "$WORK/workers.txt" \
            --workers "$WORKERS" --referrals "$REFERRALS" >"$WORK/postgres-load.json"
        timeout 600 psql "$PG_URL/$PG_DB" -q -v ON_ERROR_STOP=1 -f "$WORK/csv/load.sql" >/dev/null
        log "postgres: loaded in $(( $(date +%s) - started )) s: $(cat "$WORK/postgres-load.json")"
        measure postgres "$PG_URL/$PG_DB"
        drop_pg_dbs
        ;;
    *) die "unknown backend $backend" ;;
    esac
done

# --- report --------------------------------------------------------------------------

mkdir -p "$OUT_DIR"
BENCH_RATE=$RATE python3 - "$WORK" "$BACKENDS" >"$WORK/report.txt" <<'PY'
import json, os, sys
work, backends = sys.argv[1], sys.argv[2].split()
rate = os.environ.get("BENCH_RATE", "200")
rows, notes = [], []
for b in backends:
    s = json.load(open(os.path.join(work, f"{b}.summary")))
    for run, label in (("closed", "closed loop, 32 clients"), ("paced", f"paced {rate}/s, 32 conns")):
        f = s[run]
        rows.append((b, label, f'{f["rps"]:.0f}', f'{f["p50_ms"]:.1f}', f'{f["p90_ms"]:.1f}',
                     f'{f["p99_ms"]:.1f}', f'{f["max_ms"]:.0f}', f'{s["items_per_response"]:.0f}'))
        ok = f["status"].get("200", 0)
        sent = sum(f["status"].values()) + sum(f["errors"].values())
        if ok != sent or f["errors"]:
            notes.append(f'{b} {run}: {sent - ok} of {sent} requests were not 200: {f["status"]} {f["errors"]}')
    notes.append(f'{b}: data {s["load"]["rows"]}, by status {s["load"]["referrals_by_status"]}')

def table(head, body):
    w = [max(len(str(r[i])) for r in [head] + body) for i in range(len(head))]
    line = lambda r: "  ".join(str(c).rjust(w[i]) if i else str(c).ljust(w[i]) for i, c in enumerate(r))
    return "\n".join([line(head), line(["-" * x for x in w])] + [line(r) for r in body])

print(table(("backend", "run", "requests/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "items/caseload"), rows))
print()
for n in notes:
    print(n)
PY

{
    echo "socialrx caseload benchmark, $STAMP"
    echo "command: tests/bench/caseload.sh (BENCH_REQUESTS=$REQUESTS BENCH_CONCURRENCY=$CONCURRENCY BENCH_WARMUP=$WARMUP BENCH_RATE=$RATE BENCH_RATE_SECONDS=$RATE_SECONDS BENCH_WORKERS=$WORKERS BENCH_REFERRALS=$REFERRALS)"
    echo "commit: $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$ROOT" diff --quiet HEAD -- crates migrations 2>/dev/null || echo ' + uncommitted changes in crates/ or migrations/')"
    echo "machine: $(nproc) cores, load average before the run $LOADAVG; $OHA_VERSION; $(psql --version | head -n1)"
    echo "service: SOCIALRX_MAX_CONNECTIONS=${SOCIALRX_MAX_CONNECTIONS:-default} SOCIALRX_WORKERS=${SOCIALRX_WORKERS:-default}, log level warn"
    echo "postgres: ${PG_SETTINGS:-not run}"
    echo "request: GET /v1/link-workers/{id}/caseload, id drawn at random from the $WORKERS link workers, coordinator token"
    echo
    cat "$WORK/report.txt"
} | tee "$OUT"
log "written to ${OUT#"$ROOT"/}"
