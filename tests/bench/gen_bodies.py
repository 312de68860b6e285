#!/usr/bin/env python3
"""Generate realistic referral bodies for the intake benchmark.

Writes, into OUT_DIR:
  bodies.jsonl  one POST /v1/referrals body per line (oha -Z: one line per request)
  body.json     the first body on its own (oha -D fallback)

Every body passes the service's validation: a valid NHS number (modulus 11 check digit),
a date of birth 18-100 years ago, a real postcode sector from the shared geo data with a
random inward unit, a UK phone number in the Ofcom drama ranges, one to three reasons from
the controlled list, notes of a few hundred characters and consent given in the last week.

Usage: gen_bodies.py OUT_DIR [COUNT] [SEED]
"""
import csv
import datetime as dt
import json
import os
import random
import re
import sys

SECTORS = "/work/shared/data/geo/sectors.csv"
OUTCODES = "/work/shared/data/geo/outcodes.csv"

GIVEN = """Margaret Susan Patricia Linda Barbara Elizabeth Jennifer Maria Sarah Karen Nancy
Lisa Betty Dorothy Sandra Ashley Kimberly Donna Emily Michelle Carol Amanda Melissa Deborah
Stephanie Rebecca Laura Sharon Cynthia Kathleen Amy Shirley Angela Helen Anna Brenda Pamela
Nicole Ruth Katherine Samantha Christine Emma Catherine Debra Virginia Rachel Carolyn Janet
Aisha Fatima Priya Aaliyah Zainab Olena Agnieszka Siobhan Niamh Eilidh Gwen Bethan Mair
John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald
Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott
Mohammed Ahmed Imran Tariq Rajesh Sanjay Piotr Tomasz Sean Declan Callum Iwan Dylan Rhys
Keith Graham Trevor Colin Derek Malcolm Alan Ian Neil Stuart Gordon Alistair Wayne Dean""".split()

FAMILY = """Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts
Robinson Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel
Jackson Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison
Morgan Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths
Mitchell Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards
Khan Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell
Webb Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes
Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Kowalski
Nowak O'Brien McDonald Fraser Ahmed Rahman Chowdhury Okafor Adeyemi Mensah Nguyen""".split()

REASONS = [
    "loneliness_isolation", "low_mood_anxiety", "long_term_condition", "carer_support",
    "money_benefits_debt", "housing", "employment_skills", "physical_activity",
    "bereavement", "domestic_abuse", "substance_use", "other",
]
# Weights roughly as social prescribing referrals come in: isolation and mood lead.
REASON_WEIGHTS = [20, 18, 12, 6, 10, 6, 4, 8, 6, 2, 2, 6]

PRACTICES = [
    ("B85001", "Dr Asha Patel", "GP"), ("B85005", "Dr Owen Hughes", "GP"),
    ("B86003", "Kirsty Bell", "Practice nurse"), ("C82010", "Dr Imran Qureshi", "GP"),
    ("F84004", "Dr Helen Carter", "GP"), ("G85023", "Dr Tom Nowak", "GP partner"),
    ("J82062", "Dr Sian Roberts", "Salaried GP"), ("L83002", "Mina Shah", "Practice nurse"),
    ("M85063", "Dr Paul Adeyemi", "GP"), ("Y02794", "Dr Ruth Kelly", "GP registrar"),
]

LANGUAGES = ["English"] * 17 + ["Polish", "Urdu", "Bengali", "Punjabi", "Arabic", "Romanian", "Welsh"]

ACCESS = [
    None, None, None, None, "Wheelchair user; ground floor rooms only",
    "Hard of hearing: prefers text or face to face", "Mornings are difficult",
    "Partially sighted: large print please", "Needs someone with her at first appointments",
]

SENTENCES = [
    "Lives alone since her husband died last year and rarely leaves the house.",
    "Has type 2 diabetes and COPD; finds it hard to manage appointments on his own.",
    "Cares for his mother who has dementia and has had no break for several months.",
    "Recently lost her job and is behind on rent; worried about a council tax letter.",
    "Reports low mood and poor sleep; declined medication and would like to try community support.",
    "Used to enjoy gardening and walking groups before the knee operation.",
    "Would like help to find a befriending service or a local lunch club.",
    "Interested in volunteering, local history, choirs and crochet.",
    "Has attended A&E three times this quarter, mostly out of hours.",
    "Prefers to be called after 11am; a daughter can help with the phone call if needed.",
    "Damp in the flat is making his asthma worse; the landlord has not replied.",
    "Keen to get more active but anxious about going to the gym alone.",
    "Moved to the area six months ago and does not know anyone yet.",
    "Struggling with the cost of heating and food; has not claimed pension credit.",
    "Bereaved in the spring; would value a bereavement support group near home.",
    "English is not her first language; an interpreter has helped at past appointments.",
]

INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # never C, I, K, M, O, V
OUTWARD = re.compile(r"^(?:[A-Z]\d|[A-Z]\d\d|[A-Z]{2}\d|[A-Z]{2}\d\d|[A-Z]\d[A-Z]|[A-Z]{2}\d[A-Z])$")


def nhs_number(rng):
    """Ten digits whose last is the modulus 11 check digit of the first nine."""
    while True:
        # England issues numbers from 400 000 000 up; avoid the 999 test range.
        first = [rng.choice("4567")] + [str(rng.randrange(10)) for _ in range(8)]
        total = sum(int(d) * (10 - i) for i, d in enumerate(first))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check == 10:
            continue  # such numbers are never issued
        return "".join(first) + str(check)


def nhs_valid(n):
    digits = [int(c) for c in n]
    check = 11 - sum(d * (10 - i) for i, d in enumerate(digits[:9])) % 11
    return len(digits) == 10 and (0 if check == 11 else check) == digits[9] and check != 10


def load_sectors():
    sectors = []
    try:
        with open(SECTORS, newline="") as f:
            for row in csv.DictReader(f):
                out, _, digit = row["sector"].partition(" ")
                if OUTWARD.match(out) and digit.isdigit():
                    sectors.append((out, digit))
    except FileNotFoundError:
        pass
    if not sectors:
        with open(OUTCODES, newline="") as f:
            for row in csv.DictReader(f):
                if OUTWARD.match(row["outcode"]):
                    sectors.extend((row["outcode"], str(d)) for d in range(1, 10))
    return sectors


def postcode(rng, sectors):
    out, digit = rng.choice(sectors)
    return f"{out} {digit}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


def phone(rng):
    if rng.random() < 0.6:  # mobile drama range 07700 900000-900999
        return f"07700 900{rng.randrange(1000):03d}"
    area = rng.choice(["0113", "0114", "0115", "0116", "0117", "0118", "0121", "0131", "0141", "0161", "01484", "01632"])
    # Ofcom drama ranges: 0161 496 0xxx style for four-digit codes, 01632 960xxx style for five.
    if len(area) == 4:
        return f"{area} 496 0{rng.randrange(1000):03d}"
    return f"{area} {'960' if area == '01632' else '496'}{rng.randrange(1000):03d}"


def body(rng, sectors, now):
    given = rng.choice(GIVEN)
    family = rng.choice(FAMILY)
    age_days = rng.randrange(18 * 365, 100 * 365)
    dob = (now.date() - dt.timedelta(days=age_days)).isoformat()
    ods, ref_name, ref_role = rng.choice(PRACTICES)
    reasons = []
    for _ in range(rng.choice([1, 1, 2, 2, 2, 3])):
        r = rng.choices(REASONS, REASON_WEIGHTS)[0]
        if r not in reasons:
            reasons.append(r)
    notes = ""
    target = rng.randrange(250, 600)
    for sentence in rng.sample(SENTENCES, len(SENTENCES)):
        if len(notes) >= target:
            break
        notes += sentence + " "
    language = rng.choice(LANGUAGES)
    given_at = now - dt.timedelta(minutes=rng.randrange(10, 7 * 24 * 60))
    person = {
        "nhs_number": nhs_number(rng),
        "given_name": given,
        "family_name": family,
        "date_of_birth": dob,
        "postcode": postcode(rng, sectors),
        "phone": phone(rng),
        "preferred_contact": "phone",
        "language": language,
        "interpreter_needed": language not in ("English", "Welsh") and rng.random() < 0.7,
        "registered_practice": ods,
    }
    access = rng.choice(ACCESS)
    if access:
        person["accessibility_needs"] = access
    return {
        "person": person,
        "source": "gp",
        "referrer": {"ods_code": ods, "name": ref_name, "role": ref_role},
        "reasons": reasons,
        "notes": notes.strip(),
        "urgency": "urgent" if rng.random() < 0.1 else "routine",
        "consent": {
            "given": True,
            "given_at": given_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "method": "verbal",
        },
    }


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 20261122)
    now = dt.datetime.now(dt.timezone.utc)
    sectors = load_sectors()
    os.makedirs(out_dir, exist_ok=True)
    sizes = []
    with open(os.path.join(out_dir, "bodies.jsonl"), "w") as f:
        for i in range(count):
            b = body(rng, sectors, now)
            assert nhs_valid(b["person"]["nhs_number"]), b["person"]["nhs_number"]
            line = json.dumps(b, separators=(",", ":"), ensure_ascii=False)
            sizes.append(len(line.encode()))
            f.write(line + "\n")
            if i == 0:
                with open(os.path.join(out_dir, "body.json"), "w") as one:
                    one.write(line)
    print(f"{count} bodies, {min(sizes)}-{max(sizes)} bytes (mean {sum(sizes) // len(sizes)}), "
          f"{len(sectors)} postcode sectors")


if __name__ == "__main__":
    main()
