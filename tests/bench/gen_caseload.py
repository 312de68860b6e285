#!/usr/bin/env python3
"""Caseload benchmark data: link workers and referrals in every state, written straight
into a migrated socialrx database (SQLite) or as CSV files for psql's \\copy (PostgreSQL).

The rows follow the schema of migrations/*/0003_caseload.sql and the rules the service
keeps: UUIDv7 ids in creation order, times in UTC to the microsecond, each referral with
its person and status history, assignments for every referral a link worker held,
contacts behind every first/last contact date, open caseloads within capacity.

Shape (defaults): 200 link workers (capacity 30-60) in organisation Y02794 holding
20-55 open referrals each (about a third still waiting for a first contact, the rest in
progress, one in ten urgent); 1,500 in the unassigned queue; the rest of the 100,000
closed (85%) or declined (15%) over the past two years.

Usage:
  gen_caseload.py sqlite DB_FILE WORKERS_OUT [--workers N] [--referrals N] [--seed N]
  gen_caseload.py csv OUT_DIR WORKERS_OUT [--workers N] [--referrals N] [--seed N]

Prints one line of JSON with the row counts. WORKERS_OUT gets one link worker id per line.
"""
import argparse
import csv
import json
import os
import random
import sqlite3
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone

ORG = "Y02794"
NOW = datetime.now(timezone.utc).replace(microsecond=0)
GIVEN = ["Margaret", "Derek", "Aisha", "Tomasz", "Siân", "Graham", "Priya", "Kwame", "Eileen",
         "Mohammed", "Joan", "Stuart", "Fatima", "Brian", "Olena", "Patrick"]
FAMILY = ["Hughes", "Ashworth", "Khan", "Nowak", "Jones", "Okafor", "Patel", "O'Brien",
          "Walker", "Begum", "Murphy", "Kowalski", "Smith", "Taylor", "Ahmed", "Shaw"]
REASONS = ["loneliness_isolation", "low_mood_anxiety", "long_term_condition", "carer_support",
           "money_benefits_debt", "housing", "employment_skills", "physical_activity",
           "bereavement", "other"]
SOURCES = ["gp"] * 6 + ["practice_nurse", "other_professional", "local_agency", "self"]
CLOSURES = ["goals_met"] * 5 + ["declined_by_person", "unable_to_contact", "moved_away",
                                "referred_elsewhere"]
DECLINES = ["not_eligible", "out_of_area", "needs_clinical_care", "better_met_elsewhere"]
MODES = ["in_person", "phone", "phone", "video", "home_visit", "supported_attendance"]
ALPHABET = "34679ACDEFGHJKMNPQRTWXY"


def ts(t):
    """A time as the service writes it (RFC 3339, UTC, microseconds)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.references = set()

    def uuid7(self, t):
        ms = int(t.timestamp() * 1000)
        r = self.rng.getrandbits(74)
        n = (ms << 80) | (0x7 << 76) | ((r >> 62) << 64) | (0b10 << 62) | (r & ((1 << 62) - 1))
        return uuid.UUID(int=n)

    def reference(self):
        while True:
            body = "".join(self.rng.choice(ALPHABET) for _ in range(8))
            ref = f"SRX-{body[:4]}-{body[4:]}"
            if ref not in self.references:
                self.references.add(ref)
                return ref

    def nhs_number(self):
        while True:
            digits = [self.rng.randint(0, 9) for _ in range(9)]
            check = 11 - sum(d * w for d, w in zip(digits, range(10, 1, -1))) % 11
            if check == 10:
                continue
            return "".join(map(str, digits)) + str(0 if check == 11 else check)

    def between(self, start, end):
        span = max((end - start).total_seconds(), 1)
        return start + timedelta(seconds=self.rng.uniform(0, span),
                                 microseconds=self.rng.randint(0, 999999))


def generate(workers_n, referrals_n, seed):
    g = Gen(seed)
    rng = g.rng
    rows = {k: [] for k in ["link_workers", "people", "referrals", "referral_status_history",
                            "referral_assignments", "contacts"]}
    created_lw = NOW - timedelta(days=800)
    workers = []
    for i in range(workers_n):
        t = created_lw + timedelta(minutes=i)
        wid = g.uuid7(t)
        capacity = rng.randint(30, 60)
        workers.append((wid, capacity))
        rows["link_workers"].append((wid, ORG, f"bench-lw-{i}", f"Link Worker {i}", capacity, True,
                                     1, ts(t), ts(t)))

    # Who is in what state.
    plan = []  # (state, worker or None, created_at)
    for wid, capacity in workers:
        for _ in range(min(rng.randint(20, 55), capacity)):
            state = "assigned" if rng.random() < 0.35 else "in_progress"
            plan.append((state, wid, g.between(NOW - timedelta(days=120), NOW - timedelta(days=2))))
    for _ in range(1000):
        plan.append(("received", None, g.between(NOW - timedelta(days=15), NOW)))
    for _ in range(500):
        plan.append(("accepted", None, g.between(NOW - timedelta(days=20), NOW - timedelta(days=1))))
    while len(plan) < referrals_n:
        created = g.between(NOW - timedelta(days=730), NOW - timedelta(days=30))
        if rng.random() < 0.85:
            plan.append(("closed", rng.choice(workers)[0], created))
        else:
            plan.append(("declined", None, created))
    plan.sort(key=lambda p: p[2])  # ids in creation order, as UUIDv7 makes them

    for state, wid, created in plan:
        rid, pid = g.uuid7(created), g.uuid7(created)
        dob = (NOW - timedelta(days=rng.randint(18 * 365, 95 * 365))).date().isoformat()
        rows["people"].append((pid, ORG, g.nhs_number(), rng.choice(GIVEN), rng.choice(FAMILY),
                               dob, "HD1 2RS", None, None, "letter", None, False, None, "B85001",
                               ts(created)))
        reasons = json.dumps(rng.sample(REASONS, rng.randint(1, 3)))
        urgency = "urgent" if rng.random() < 0.1 else "routine"
        history = [(None, "received", None, created)]
        t = created
        assigned_at = first = last = follow = None
        contacts = []

        def move(to, reason=None, hours=(1, 96)):
            nonlocal t
            t = min(t + timedelta(hours=rng.uniform(*hours)), NOW)
            history.append((history[-1][1], to, reason, t))

        if state == "declined":
            move("declined", rng.choice(DECLINES))
        elif state != "received":
            move("accepted")
            if state in ("assigned", "in_progress", "closed"):
                move("assigned")
                assigned_at = t
                rows["referral_assignments"].append((g.uuid7(t), rid, wid, None, False, None,
                                                     "bench-coordinator", ts(t)))
            if state in ("in_progress", "closed"):
                t_contact = min(t + timedelta(hours=rng.uniform(2, 24 * 10)), NOW)
                n = rng.randint(1, 3)
                for k in range(n):
                    contacts.append(t_contact)
                    if k + 1 < n:
                        t_contact = min(t_contact + timedelta(days=rng.uniform(5, 20)), NOW)
                first, last = contacts[0], contacts[-1]
                t = first
                move("in_progress", hours=(0, 0.01))
                follow = (last + timedelta(days=rng.randint(7, 28))).date()
            if state == "closed":
                t = max(t, last)
                move("closed", rng.choice(CLOSURES), hours=(24, 24 * 30))
                follow = None
        for i, at in enumerate(contacts):
            nxt = (at + timedelta(days=rng.randint(7, 28))).date().isoformat()
            rows["contacts"].append((g.uuid7(at), ORG, rid, rng.choice(MODES), ts(at),
                                     rng.randint(10, 90), None,
                                     follow.isoformat() if (follow and i == len(contacts) - 1) else nxt,
                                     "bench-lw", ts(at)))
        for from_s, to_s, reason, at in history:
            rows["referral_status_history"].append((g.uuid7(at), rid, from_s, to_s, reason, None,
                                                    "bench", ts(at)))
        rows["referrals"].append((
            rid, ORG, g.reference(), pid, rng.choice(SOURCES), "B85001", "Dr Bench", "GP",
            reasons, None, urgency, ts(created), "verbal", state, "bench", ts(created),
            ts(history[-1][3]), wid, ts(assigned_at) if assigned_at else None,
            ts(first) if first else None, ts(last) if last else None,
            follow.isoformat() if follow else None))
    return workers, rows


COLUMNS = {
    "link_workers": "id, organisation, subject, display_name, capacity, active, version, "
                    "created_at, updated_at",
    "people": "id, organisation, nhs_number, given_name, family_name, date_of_birth, postcode, "
              "phone, email, preferred_contact, language, interpreter_needed, "
              "accessibility_needs, registered_practice, created_at",
    "referrals": "id, organisation, reference, person_id, source, referrer_ods, referrer_name, "
                 "referrer_role, reasons, notes, urgency, consent_given_at, consent_method, "
                 "status, created_by, created_at, updated_at, link_worker_id, assigned_at, "
                 "first_contact_at, last_contact_at, next_follow_up_on",
    "referral_status_history": "id, referral_id, from_status, to_status, reason, note, actor, at",
    "referral_assignments": "id, referral_id, link_worker_id, previous_link_worker_id, "
                            "capacity_overridden, note, actor, at",
    "contacts": "id, organisation, referral_id, mode, occurred_at, minutes, notes, "
                "next_follow_up_on, recorded_by, recorded_at",
}
ORDER = ["link_workers", "people", "referrals", "referral_status_history",
         "referral_assignments", "contacts"]


def write_sqlite(path, rows):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    for table in ORDER:
        cols = COLUMNS[table]
        marks = ", ".join("?" * len(cols.split(",")))
        db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                       [tuple(v.bytes if isinstance(v, uuid.UUID) else
                              (int(v) if isinstance(v, bool) else v) for v in r)
                        for r in rows[table]])
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def write_csv(out_dir, rows):
    os.makedirs(out_dir, exist_ok=True)
    for table in ORDER:
        with open(os.path.join(out_dir, f"{table}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            for r in rows[table]:
                # psql's CSV: an unquoted empty field is NULL.
                w.writerow(["" if v is None else ("t" if v is True else "f" if v is False else v)
                            for v in r])
    with open(os.path.join(out_dir, "load.sql"), "w") as f:
        for table in ORDER:
            f.write(f"\\copy {table} ({COLUMNS[table]}) FROM '{out_dir}/{table}.csv' WITH (FORMAT csv)\n")
        f.write("ANALYZE;\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("target", choices=["sqlite", "csv"])
    p.add_argument("path")
    p.add_argument("workers_out")
    p.add_argument("--workers", type=int, default=200)
    p.add_argument("--referrals", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=4)
    a = p.parse_args()
    started = time.time()
    workers, rows = generate(a.workers, a.referrals, a.seed)
    if a.target == "sqlite":
        write_sqlite(a.path, rows)
    else:
        write_csv(a.path, rows)
    with open(a.workers_out, "w") as f:
        f.writelines(f"{w}\n" for w, _ in workers)
    states = {}
    for r in rows["referrals"]:
        states[r[13]] = states.get(r[13], 0) + 1
    print(json.dumps({"seconds": round(time.time() - started, 1),
                      "rows": {t: len(rows[t]) for t in ORDER}, "referrals_by_status": states}))


if __name__ == "__main__":
    sys.exit(main())
