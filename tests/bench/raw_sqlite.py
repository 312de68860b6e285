#!/usr/bin/env python3
"""The raw SQLite limit: one referral-like row per transaction, WAL, synchronous=FULL.

Inserts COUNT rows into a fresh file with Python's sqlite3 module (one connection, which
is all a SQLite writer can have), each in its own BEGIN IMMEDIATE ... COMMIT, and prints
one line of JSON: {"inserts_per_sec", "count", "seconds", "avg_row_bytes", ...}.

The row carries what the service's four intake rows carry (person, referral, status and
audit fields, notes padded so the row is about 1.5 KB), with a 16-byte UUID primary key
and one secondary index, like the service's tables. Row values are prepared before the
clock starts, so the loop times SQLite, not Python string building.

Usage: raw_sqlite.py DB_FILE BODIES_JSONL [COUNT]
"""
import json
import os
import sqlite3
import sys
import time
import uuid

SCHEMA = """
CREATE TABLE referral_raw (
    id BLOB PRIMARY KEY, organisation TEXT NOT NULL, reference TEXT NOT NULL,
    person_id BLOB NOT NULL, nhs_number TEXT, given_name TEXT NOT NULL, family_name TEXT NOT NULL,
    date_of_birth TEXT NOT NULL, postcode TEXT NOT NULL, phone TEXT, preferred_contact TEXT NOT NULL,
    language TEXT, interpreter_needed INTEGER NOT NULL, accessibility_needs TEXT,
    registered_practice TEXT, source TEXT NOT NULL, referrer_ods TEXT, referrer_name TEXT NOT NULL,
    referrer_role TEXT, reasons TEXT NOT NULL, notes TEXT, urgency TEXT NOT NULL,
    consent_given_at TEXT NOT NULL, consent_method TEXT NOT NULL, status TEXT NOT NULL,
    created_by TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    audit_action TEXT NOT NULL, client_ip TEXT, request_id TEXT
) WITHOUT ROWID;
CREATE INDEX referral_raw_by_org ON referral_raw (organisation, id DESC);
"""

COLUMNS = 31


def rows(bodies, count):
    out = []
    for i in range(count):
        b = bodies[i % len(bodies)]
        p, r = b["person"], b["referrer"]
        notes = b["notes"]
        while len(notes) < 1150:
            notes += " " + b["notes"]
        notes = notes[:1150]
        out.append((
            uuid.uuid4().bytes, "Y02794", f"SRX-{i:04X}-{i * 7919 % 65536:04X}",
            uuid.uuid4().bytes, p["nhs_number"], p["given_name"], p["family_name"],
            p["date_of_birth"], p["postcode"], p.get("phone"), p["preferred_contact"],
            p.get("language"), int(p.get("interpreter_needed", False)),
            p.get("accessibility_needs"), p.get("registered_practice"), b["source"],
            r.get("ods_code"), r["name"], r.get("role"), json.dumps(b["reasons"]), notes,
            b.get("urgency", "routine"), b["consent"]["given_at"], b["consent"]["method"],
            "received", "bench", "2026-11-22T03:00:00.123456Z", "2026-11-22T03:00:00.123456Z",
            "create", "127.0.0.1", str(uuid.uuid4()),
        ))
    return out


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, bodies_path = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 20000
    with open(bodies_path) as f:
        bodies = [json.loads(line) for line in f if line.strip()]
    data = rows(bodies, count)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.executescript(SCHEMA)
    sql = f"INSERT INTO referral_raw VALUES ({', '.join('?' * COLUMNS)})"
    start = time.perf_counter()
    for row in data:
        db.execute("BEGIN IMMEDIATE")
        db.execute(sql, row)
        db.execute("COMMIT")
    seconds = time.perf_counter() - start
    n, payload = db.execute(
        "SELECT count(*), avg(length(id) + length(person_id) + length(nhs_number) + length(given_name)"
        " + length(family_name) + length(date_of_birth) + length(postcode) + coalesce(length(phone), 0)"
        " + length(preferred_contact) + coalesce(length(language), 0) + 1"
        " + coalesce(length(accessibility_needs), 0) + coalesce(length(registered_practice), 0)"
        " + length(source) + coalesce(length(referrer_ods), 0) + length(referrer_name)"
        " + coalesce(length(referrer_role), 0) + length(reasons) + coalesce(length(notes), 0)"
        " + length(urgency) + length(consent_given_at) + length(consent_method) + length(status)"
        " + length(created_by) + length(created_at) + length(updated_at) + length(audit_action)"
        " + length(client_ip) + length(request_id) + length(organisation) + length(reference))"
        " FROM referral_raw"
    ).fetchone()
    mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    sync = db.execute("PRAGMA synchronous").fetchone()[0]
    db.close()
    print(json.dumps({
        "inserts_per_sec": round(count / seconds, 1), "count": n, "seconds": round(seconds, 3),
        "avg_row_bytes": round(payload), "journal_mode": mode, "synchronous": sync,
        "sqlite_version": sqlite3.sqlite_version,
    }))


if __name__ == "__main__":
    main()
