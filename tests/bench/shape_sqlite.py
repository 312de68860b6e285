#!/usr/bin/env python3
"""SQLite ceilings for the intake write path's shape (diagnostics for tests/bench/intake.sh).

Runs against the service's own schema (migrations/sqlite/*.sql), in WAL with
synchronous=FULL and foreign keys on, from one connection, and writes per referral what
the service writes: a people row, a referrals row, a status-history row and an audit row.

  shape   one referral per transaction: BEGIN, four INSERTs, COMMIT (the service's shape)
  batch   BATCH referrals per transaction: what a group-committing writer could reach

Prints one line of JSON per mode: {"mode", "referrals_per_tx", "referrals_per_sec", "count",
"transactions"}. Row values are prepared before the clock starts.

Usage: shape_sqlite.py DIR BODIES_JSONL MIGRATIONS_DIR [COUNT] [BATCH]
"""
import glob
import json
import os
import random
import sqlite3
import sys
import time
import uuid


def uuid7(counter=[0]):
    """Time-ordered 16-byte ids like the service's Uuid::now_v7()."""
    ms = time.time_ns() // 1_000_000
    counter[0] = (counter[0] + 1) & 0xFFF
    b = bytearray(ms.to_bytes(6, "big") + bytes([0x70 | (counter[0] >> 8), counter[0] & 0xFF])
                  + random.getrandbits(64).to_bytes(8, "big"))
    b[8] = 0x80 | (b[8] & 0x3F)
    return bytes(b)


def stamp():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".123456Z"


def referral(b, i):
    p, r = b["person"], b["referrer"]
    at = stamp()
    pid, rid = uuid7(), uuid7()
    people = (pid, "Y02794", p["nhs_number"], p["given_name"], p["family_name"], p["date_of_birth"],
              p["postcode"], p.get("phone"), None, p["preferred_contact"], p.get("language"),
              int(p.get("interpreter_needed", False)), p.get("accessibility_needs"),
              p.get("registered_practice"), at)
    ref = (rid, "Y02794", f"SRX-{i:04X}-{random.getrandbits(16):04X}", pid, b["source"],
           r.get("ods_code"), r["name"], r.get("role"), json.dumps(b["reasons"]), b["notes"],
           b.get("urgency", "routine"), b["consent"]["given_at"], b["consent"]["method"],
           "received", "bench", at, at)
    hist = (uuid7(), rid, "received", "bench", at)
    audit = (uuid7(), "Y02794", "bench", "create", "referral", rid, pid, at, "127.0.0.1",
             str(uuid.uuid4()))
    return people, ref, hist, audit


PEOPLE = ("INSERT INTO people (id, organisation, nhs_number, given_name, family_name, date_of_birth, "
          "postcode, phone, email, preferred_contact, language, interpreter_needed, accessibility_needs, "
          "registered_practice, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)")
REFERRAL = ("INSERT INTO referrals (id, organisation, reference, person_id, source, referrer_ods, "
            "referrer_name, referrer_role, reasons, notes, urgency, consent_given_at, consent_method, "
            "status, created_by, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
            "?11, ?12, ?13, ?14, ?15, ?16, ?17) ON CONFLICT (organisation, reference) DO NOTHING")
HISTORY = ("INSERT INTO referral_status_history (id, referral_id, from_status, to_status, reason, note, "
           "actor, at) VALUES (?1, ?2, NULL, ?3, NULL, NULL, ?4, ?5)")
AUDIT = ("INSERT INTO audit_events (id, organisation, actor, action, resource_type, resource_id, "
         "person_id, at, client_ip, request_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")


def run(path, migrations, bodies, count, batch):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute("PRAGMA foreign_keys=ON")
    for f in sorted(glob.glob(os.path.join(migrations, "*.sql"))):
        db.executescript(open(f).read())
    data = [referral(bodies[i % len(bodies)], i) for i in range(count)]
    start = time.perf_counter()
    txs = 0
    for i in range(0, count, batch):
        db.execute("BEGIN")
        for people, ref, hist, audit in data[i:i + batch]:
            db.execute(PEOPLE, people)
            db.execute(REFERRAL, ref)
            db.execute(HISTORY, hist)
            db.execute(AUDIT, audit)
        db.execute("COMMIT")
        txs += 1
    seconds = time.perf_counter() - start
    db.close()
    return count / seconds, txs


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    work, bodies_path, migrations = sys.argv[1:4]
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 5000
    batch = int(sys.argv[5]) if len(sys.argv) > 5 else 16
    with open(bodies_path) as f:
        bodies = [json.loads(line) for line in f if line.strip()]
    for mode, n in (("shape", 1), ("batch", batch)):
        rate, txs = run(os.path.join(work, f"shape-{mode}.db"), migrations, bodies, count, n)
        print(json.dumps({"mode": mode, "referrals_per_tx": n, "referrals_per_sec": round(rate, 1),
                          "count": count, "transactions": txs}))


if __name__ == "__main__":
    main()
