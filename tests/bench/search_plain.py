#!/usr/bin/env python3
"""Search benchmark, the plain database query: full text + bounding box + category, the
best 20 live activities, on the same data the service searched.

  search_plain.py pgbench-scripts PLAIN_JSONL TEMPLATE OUT_DIR
      writes one pgbench script per parameter set (pg_search_plain.sql filled in), and
      check.sql, the same queries counted (a warm-up that also tells how many rows match)
  search_plain.py pgbench-log LOG_PREFIX
      p50/p99 latency in ms from pgbench's per-transaction logs (-l)
  search_plain.py sqlite DB_FILE PLAIN_JSONL [--seconds S] [--threads N]
      the FTS5 + bounding box + category query in a loop, one connection per thread,
      parameter sets taken in turn; prints one line of JSON

The text matches any of the words (OR), as the service's search does.
"""
import argparse
import glob
import json
import sqlite3
import sys
import threading
import time

SQLITE_QUERY = """
SELECT a.id, a.name, a.description, a.categories, a.postcode, a.latitude, a.longitude,
       a.schedule, bm25(bench_fts) AS rank
FROM bench_fts JOIN activities a ON a.rowid = bench_fts.rowid
WHERE bench_fts MATCH ?
  AND a.latitude BETWEEN ? AND ?
  AND a.longitude BETWEEN ? AND ?
  AND instr(a.categories, ?) > 0
  AND a.status = 'active' AND a.deleted = 0
ORDER BY rank, a.id
LIMIT 20
"""


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def fill(template, q):
    words = " or ".join(w for w in q["words"] if w.isalnum())
    return (template.replace("@WORDS@", words)
            .replace("@CATEGORY@", q["category"])
            .replace("@MIN_LAT@", repr(q["min_lat"])).replace("@MAX_LAT@", repr(q["max_lat"]))
            .replace("@MIN_LON@", repr(q["min_lon"])).replace("@MAX_LON@", repr(q["max_lon"])))


def pgbench_scripts(a):
    template = "".join(l for l in open(a.template) if not l.startswith("--")).strip()
    check = []
    for i, q in enumerate(load(a.plain)):
        sql = fill(template, q)
        with open(f"{a.out_dir}/plain-{i:03d}.sql", "w") as f:
            f.write(sql.replace("\n", " ") + "\n")  # pgbench: one statement per line
        check.append(f"SELECT count(*) FROM ({sql.rstrip(';')}) s;")
    with open(f"{a.out_dir}/check.sql", "w") as f:
        f.write("\n".join(check) + "\n")


def pgbench_log(a):
    latencies = []
    for path in glob.glob(a.prefix + ".*"):
        with open(path) as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 3:
                    latencies.append(int(parts[2]) / 1000.0)
    latencies.sort()
    print(json.dumps({"transactions": len(latencies), "p50_ms": percentile(latencies, 50),
                      "p99_ms": percentile(latencies, 99),
                      "max_ms": latencies[-1] if latencies else 0.0}))


def sqlite_loop(a):
    params = [('OR'.join(f' "{w}" ' for w in q["words"] if w.isalnum()).strip(),
               q["min_lat"], q["max_lat"], q["min_lon"], q["max_lon"], f'"{q["category"]}"')
              for q in load(a.plain)]
    # Warm the page cache and count what matches.
    db = sqlite3.connect(a.db, check_same_thread=False)
    rows = [len(db.execute(SQLITE_QUERY, p).fetchall()) for p in params]
    db.close()
    results = []
    start = threading.Barrier(a.threads + 1)

    def worker(offset):
        conn = sqlite3.connect(a.db, check_same_thread=False)
        conn.execute("PRAGMA mmap_size = 268435456")
        lat = []
        start.wait()
        end = time.perf_counter() + a.seconds
        i = offset
        while True:
            t0 = time.perf_counter()
            if t0 >= end:
                break
            conn.execute(SQLITE_QUERY, params[i % len(params)]).fetchall()
            lat.append((time.perf_counter() - t0) * 1000)
            i += 1
        conn.close()
        results.append(lat)

    threads = [threading.Thread(target=worker, args=(k * 37,)) for k in range(a.threads)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = sorted(x for r in results for x in r)
    print(json.dumps({"threads": a.threads, "queries": len(lat), "seconds": round(wall, 2),
                      "qps": len(lat) / wall, "p50_ms": percentile(lat, 50),
                      "p99_ms": percentile(lat, 99), "rows_mean": sum(rows) / len(rows),
                      "rows_zero": sum(1 for r in rows if r == 0),
                      "sqlite_version": sqlite3.sqlite_version}))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("pgbench-scripts")
    s.add_argument("plain")
    s.add_argument("template")
    s.add_argument("out_dir")
    s = sub.add_parser("pgbench-log")
    s.add_argument("prefix")
    s = sub.add_parser("sqlite")
    s.add_argument("db")
    s.add_argument("plain")
    s.add_argument("--seconds", type=float, default=15)
    s.add_argument("--threads", type=int, default=1)
    a = p.parse_args()
    {"pgbench-scripts": pgbench_scripts, "pgbench-log": pgbench_log,
     "sqlite": sqlite_loop}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
