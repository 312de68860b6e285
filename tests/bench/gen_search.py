#!/usr/bin/env python3
"""Search benchmark data: providers and activities across Great Britain, written straight
into a migrated socialrx database (SQLite) or as CSV files for psql's \\copy (PostgreSQL),
plus the searches to send.

The rows are what the store writes (crates/store/src/shared/directory.rs and
migrations/*/0004_directory.sql): UUIDv7 ids in creation order (16-byte BLOBs on SQLite),
times in UTC as RFC 3339 with the subsecond digits trimmed as sqlx/time format them,
compact JSON arrays for categories, accessibility and the schedule, booleans as 0/1 on
SQLite, dates as YYYY-MM-DD, and a location placed at its postcode sector's centroid (as
the API places a postcode given without coordinates) or at coordinates the editor gave.

Shape (defaults): 100,000 activities from 9,000 providers in 60 organisations. Providers
sit in postcode areas drawn by how many postcodes each sector has (people live in cities),
and their activities in sectors of the same area. About 95% are active (the rest inactive,
temporarily closed or defunct, and 0.5% deleted); 8% online only, 5% online and in person,
1% at a confidential location (shown only as an area); 60% free; one to three weekly
sessions; most verified within two years.

Files written to OUT_DIR:
  urls.txt      one request path per line, the four kinds mixed in equal shares:
                text (q), text + near + radius_km, category + day + free, near only
  plain.jsonl   parameter sets for the plain database query: text, bounding box, category

Usage:
  gen_search.py OUT_DIR [--sqlite DB_FILE] [--csv CSV_DIR] [--activities N] [--urls N] [--seed N]

One run writes the same rows to both (a migrated SQLite file, and CSV files with a load.sql
for psql), so that both backends search exactly the same directory.

Prints one line of JSON with the row counts.
"""
import argparse
import bisect
import csv
import json
import math
import os
import random
import sqlite3
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

HERE = os.path.dirname(os.path.abspath(__file__))
SECTOR_FILES = [os.path.join(HERE, "../../data/geo/sectors.csv"), "/work/shared/data/geo/sectors.csv"]
NOW = datetime.now(timezone.utc).replace(microsecond=0)
TODAY = NOW.date()
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # never C, I, K, M, O, V
EARTH_RADIUS_KM = 6371.0088

TOWNS = {
    "AB": "Aberdeen", "AL": "St Albans", "B": "Birmingham", "BA": "Bath", "BB": "Blackburn",
    "BD": "Bradford", "BH": "Bournemouth", "BL": "Bolton", "BN": "Brighton", "BR": "Bromley",
    "BS": "Bristol", "CA": "Carlisle", "CB": "Cambridge", "CF": "Cardiff", "CH": "Chester",
    "CM": "Chelmsford", "CO": "Colchester", "CR": "Croydon", "CT": "Canterbury", "CV": "Coventry",
    "CW": "Crewe", "DA": "Dartford", "DD": "Dundee", "DE": "Derby", "DG": "Dumfries",
    "DH": "Durham", "DL": "Darlington", "DN": "Doncaster", "DT": "Dorchester", "DY": "Dudley",
    "E": "Hackney", "EC": "City of London", "EH": "Edinburgh", "EN": "Enfield", "EX": "Exeter",
    "FK": "Falkirk", "FY": "Blackpool", "G": "Glasgow", "GL": "Gloucester", "GU": "Guildford",
    "HA": "Harrow", "HD": "Huddersfield", "HG": "Harrogate", "HP": "Hemel Hempstead",
    "HR": "Hereford", "HS": "Stornoway", "HU": "Hull", "HX": "Halifax", "IG": "Ilford",
    "IP": "Ipswich", "IV": "Inverness", "KA": "Kilmarnock", "KT": "Kingston upon Thames",
    "KW": "Kirkwall", "KY": "Kirkcaldy", "L": "Liverpool", "LA": "Lancaster",
    "LD": "Llandrindod Wells", "LE": "Leicester", "LL": "Llandudno", "LN": "Lincoln",
    "LS": "Leeds", "LU": "Luton", "M": "Manchester", "ME": "Rochester", "MK": "Milton Keynes",
    "ML": "Motherwell", "N": "Islington", "NE": "Newcastle", "NG": "Nottingham",
    "NN": "Northampton", "NP": "Newport", "NR": "Norwich", "NW": "Camden", "OL": "Oldham",
    "OX": "Oxford", "PA": "Paisley", "PE": "Peterborough", "PH": "Perth", "PL": "Plymouth",
    "PO": "Portsmouth", "PR": "Preston", "RG": "Reading", "RH": "Redhill", "RM": "Romford",
    "S": "Sheffield", "SA": "Swansea", "SE": "Southwark", "SG": "Stevenage", "SK": "Stockport",
    "SL": "Slough", "SM": "Sutton", "SN": "Swindon", "SO": "Southampton", "SP": "Salisbury",
    "SR": "Sunderland", "SS": "Southend", "ST": "Stoke-on-Trent", "SW": "Lambeth",
    "SY": "Shrewsbury", "TA": "Taunton", "TD": "Galashiels", "TF": "Telford", "TN": "Tonbridge",
    "TQ": "Torquay", "TR": "Truro", "TS": "Middlesbrough", "TW": "Twickenham", "UB": "Southall",
    "W": "Westminster", "WA": "Warrington", "WC": "Holborn", "WD": "Watford", "WF": "Wakefield",
    "WN": "Wigan", "WR": "Worcester", "WS": "Walsall", "WV": "Wolverhampton", "YO": "York",
    "ZE": "Lerwick",
}

# Per category: activity names, and sentences a description is drawn from.
CATALOGUE = {
    "physical_activity": (
        ["Health Walk", "Walking Group", "Walking Football", "Chair-Based Exercise",
         "Tai Chi for Beginners", "Gentle Yoga", "Nordic Walking", "Swimming for Health",
         "Dance for Health", "Couch to 5K Running Club", "Pilates for Beginners", "Bowls Club",
         "Cycling Club", "Table Tennis Club", "Seated Exercise", "Strength and Balance Class"],
        ["A friendly, gentle walk of about an hour at an easy pace, led by trained volunteers.",
         "Exercise at your own pace, seated or standing, to build strength and balance.",
         "No experience or special kit needed: wear comfortable shoes and bring water.",
         "Ideal if you are getting back into activity after illness or a long break.",
         "Walking football is played at walking pace, with no running and no tackling.",
         "Tai chi and gentle yoga help with balance, breathing and stiff joints.",
         "Swimming sessions in a quiet pool with a lifeguard and step-free changing rooms."]),
    "arts_and_crafts": (
        ["Knit and Natter", "Crochet Circle", "Pottery Workshop", "Watercolour Painting",
         "Arts on Prescription", "Craft Café", "Sewing Bee", "Photography Club", "Community Choir",
         "Ukulele Group", "Creative Writing Group", "Drawing for Wellbeing"],
        ["Bring your knitting or crochet, or learn from scratch with wool and needles provided.",
         "A relaxed art session: painting, drawing and collage, with all materials supplied.",
         "Sing together for fun in a choir that needs no auditions and no music reading.",
         "Learn pottery and clay work on the wheel and by hand, from beginner level.",
         "Share photographs and stories, and take part in a monthly photo walk.",
         "Creative writing for pleasure: poems, memories and short stories."]),
    "nature_and_gardening": (
        ["Community Allotment", "Green Gym", "Therapeutic Gardening", "Conservation Volunteers",
         "Nature Walk", "Forest Bathing", "Orchard Group", "Wildlife Watch", "Growing Together",
         "Friends of the Park"],
        ["Grow vegetables, fruit and flowers on a shared allotment with raised beds.",
         "Outdoor conservation work in local parks and woodland: hedge laying, planting, paths.",
         "Gardening for wellbeing, at your own pace, with tools and gloves provided.",
         "Slow, mindful walks in the woods to notice birds, trees and wildlife.",
         "Help look after the community orchard and share the harvest."]),
    "social_groups_and_befriending": (
        ["Coffee Morning", "Telephone Befriending", "Lunch Club", "Men's Shed", "Friendship Group",
         "Chatty Café", "Tea Dance", "Good Neighbours Scheme", "Over 50s Social",
         "Board Games Afternoon", "Singing for the Brain"],
        ["A warm welcome, tea, coffee and cake, and a chance to meet new people.",
         "A volunteer befriender calls you every week for a chat at a time that suits you.",
         "A hot two-course lunch and good company, with transport for those who need it.",
         "A men's shed: a workshop space for woodwork, repairs, tea and conversation.",
         "For anyone who feels lonely or isolated and would like to make friends locally.",
         "Singing for the Brain brings people living with dementia and their carers together."]),
    "learning_and_local_history": (
        ["Local History Society", "Reading Group", "Book Club", "Family History Workshop",
         "Digital Skills Drop-in", "Computer Help", "English Conversation Class", "Memory Café",
         "Heritage Walk", "Talks and Lectures"],
        ["Monthly talks on local history, old photographs, maps and memories of the area.",
         "A reading group that meets to talk about a book chosen together each month.",
         "Get help with smartphones, tablets, email and video calls from patient volunteers.",
         "Trace your family history with help using census and parish records.",
         "Practise spoken English in a friendly group, all levels welcome."]),
    "volunteering": (
        ["Volunteer Drivers", "Food Bank Volunteers", "Community Litter Pick",
         "Charity Shop Volunteering", "Hospital Volunteers", "Repair Café",
         "Community Garden Volunteers"],
        ["Give a few hours a week and gain confidence, skills and friends while helping others.",
         "Volunteers sort donations, pack food parcels and welcome visitors.",
         "Bring broken items and fix them together with volunteer repairers.",
         "Training and expenses are provided; a reference is available after three months."]),
    "money_and_benefits_advice": (
        ["Benefits Advice Drop-in", "Debt Advice", "Money Matters Clinic", "Energy Bills Help",
         "Pension Credit Check", "Universal Credit Support"],
        ["Free, confidential advice on benefits, debt, budgeting and energy bills.",
         "Check you are getting all the benefits you are entitled to, including Pension Credit.",
         "Help with Universal Credit claims, sanctions, appeals and forms.",
         "Advisers can speak to creditors for you and help you make a plan."]),
    "housing": (
        ["Housing Advice", "Tenancy Support", "Home Repairs Service", "Warm Homes Advice",
         "Homeless Outreach"],
        ["Advice on renting, repairs, eviction and homelessness from housing caseworkers.",
         "Small repairs and adaptations, such as grab rails, for older and disabled people.",
         "Help to keep your home warm: insulation, heating grants and energy advice."]),
    "carers_support": (
        ["Carers Café", "Young Carers Group", "Carers Support Group", "Dementia Carers Group",
         "Carers Assessment Help"],
        ["For unpaid carers: information, a break, and time with others who understand.",
         "Support for young carers aged 8 to 18, with trips and activities.",
         "Learn about dementia and how to look after yourself while caring."]),
    "mental_health_support": (
        ["Wellbeing Café", "Anxiety Support Group", "Bereavement Support", "Peer Support Group",
         "Mindfulness Course", "Men's Mental Health Group", "Stress Management Course",
         "Recovery College Course"],
        ["A safe, confidential space to talk about how you are feeling with people who listen.",
         "Peer support for anxiety, low mood and stress, run by people with lived experience.",
         "Bereavement support after the death of someone close, one to one or in a group.",
         "An eight-week mindfulness course to help with stress, worry and sleep.",
         "Talking helps: a men's mental health group with no pressure to speak."]),
    "domestic_abuse_support": (
        ["Domestic Abuse Support Group", "Freedom Programme", "Refuge Outreach",
         "Independent Advocacy"],
        ["Confidential support for anyone affected by domestic abuse.",
         "The Freedom Programme helps you understand abusive relationships and rebuild.",
         "Independent advocates help with safety planning, housing and the courts."]),
    "food_and_cooking": (
        ["Cook and Eat", "Community Kitchen", "Healthy Eating on a Budget", "Community Pantry",
         "Baking Club", "Community Meal"],
        ["Learn to cook simple, healthy meals on a budget, then eat together.",
         "A community pantry: a weekly shop of fresh and store-cupboard food for a small fee.",
         "Baking for beginners: bread, cakes and scones, with ingredients provided."]),
    "employment_and_skills": (
        ["Job Club", "CV Workshop", "Skills for Work", "Interview Practice", "IT for Work",
         "Volunteering into Work"],
        ["Help with job searching, CVs, applications and interview practice.",
         "Build confidence and skills for work at your own pace, with a mentor.",
         "Basic computer skills for work: email, online forms and job websites."]),
    "family_activities": (
        ["Stay and Play", "Parent and Toddler Group", "Baby Massage", "Family Learning",
         "Dads' Group", "Holiday Activities and Food"],
        ["Play, songs and stories for babies and toddlers with their parents and carers.",
         "A group for dads and male carers and their children, with play and a brew.",
         "Free holiday activities and a healthy meal for children and families."]),
}
GENERAL = [
    "Everyone is welcome, whatever your age or ability.",
    "Refreshments are provided.",
    "You can come on your own or bring a friend.",
    "Please call ahead if it is your first visit so we can look out for you.",
    "The venue has step-free access and an accessible toilet.",
    "Buses stop outside and there is free parking nearby.",
    "Sessions run all year except bank holidays.",
    "Your link worker can come with you the first time.",
]
CATEGORIES = list(CATALOGUE)
# Weights: how common each kind of activity is in a real directory.
CATEGORY_WEIGHTS = [14, 10, 8, 14, 7, 6, 6, 3, 5, 9, 1, 5, 4, 8]
RELATED = {
    "physical_activity": ["nature_and_gardening", "social_groups_and_befriending", "mental_health_support"],
    "arts_and_crafts": ["social_groups_and_befriending", "mental_health_support", "learning_and_local_history"],
    "nature_and_gardening": ["volunteering", "physical_activity", "mental_health_support"],
    "social_groups_and_befriending": ["mental_health_support", "food_and_cooking", "carers_support"],
    "learning_and_local_history": ["social_groups_and_befriending", "employment_and_skills"],
    "volunteering": ["employment_and_skills", "social_groups_and_befriending", "nature_and_gardening"],
    "money_and_benefits_advice": ["housing", "employment_and_skills"],
    "housing": ["money_and_benefits_advice"],
    "carers_support": ["mental_health_support", "social_groups_and_befriending"],
    "mental_health_support": ["social_groups_and_befriending", "physical_activity"],
    "domestic_abuse_support": ["mental_health_support", "housing"],
    "food_and_cooking": ["social_groups_and_befriending", "money_and_benefits_advice", "family_activities"],
    "employment_and_skills": ["learning_and_local_history", "volunteering"],
    "family_activities": ["social_groups_and_befriending", "food_and_cooking"],
}
PROVIDER_KINDS = [
    "{town} Community Trust", "Age UK {town}", "{town} Mind", "{town} Carers Centre",
    "Citizens Advice {town}", "{town} Libraries", "{town} Walking for Health",
    "{town} Council for Voluntary Service", "{town} Wellbeing Hub", "{town} Leisure Trust",
    "{town} Methodist Church", "{town} Community Centre", "{town} Food Network",
    "{town} Women's Aid", "{town} Green Spaces Partnership", "{town} Family Hub",
    "{town} Arts Collective", "{town} Men's Shed Association", "{town} Volunteer Centre",
]
STREETS = ["High Street", "Church Lane", "Station Road", "Park Road", "Victoria Road",
           "Green Lane", "Mill Lane", "School Lane", "Queen Street", "King Street",
           "Chapel Street", "Market Place", "Albert Road", "The Crescent", "Manor Road"]
VENUES = ["Community Centre", "Library", "Methodist Church Hall", "Scout Hut", "Leisure Centre",
          "Village Hall", "Community Hub", "Park Pavilion", "Family Hub", "Health Centre"]
ACCESSIBILITY = ["step_free_access", "wheelchair_accessible", "accessible_toilet", "hearing_loop",
                 "british_sign_language", "large_print", "quiet_space", "accessible_parking",
                 "seating_available"]
DAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
DAY_WEIGHTS = [16, 17, 17, 17, 15, 10, 5]
UNITS = ["per_session"] * 6 + ["per_week", "per_month", "per_year", "per_course"]

# Search terms people type, with the category each belongs to (for the plain query's
# category filter). Two-word terms match either word (tantivy's default, OR).
TERMS = [
    ("walking", "physical_activity"), ("walk", "physical_activity"), ("yoga", "physical_activity"),
    ("tai chi", "physical_activity"), ("swimming", "physical_activity"),
    ("football", "physical_activity"), ("exercise", "physical_activity"),
    ("dance", "physical_activity"), ("choir", "arts_and_crafts"), ("singing", "arts_and_crafts"),
    ("knitting", "arts_and_crafts"), ("crochet", "arts_and_crafts"), ("pottery", "arts_and_crafts"),
    ("painting", "arts_and_crafts"), ("art", "arts_and_crafts"), ("photography", "arts_and_crafts"),
    ("gardening", "nature_and_gardening"), ("allotment", "nature_and_gardening"),
    ("nature", "nature_and_gardening"), ("woodland", "nature_and_gardening"),
    ("befriending", "social_groups_and_befriending"), ("coffee", "social_groups_and_befriending"),
    ("lunch club", "social_groups_and_befriending"), ("men's shed", "social_groups_and_befriending"),
    ("lonely", "social_groups_and_befriending"), ("dementia", "social_groups_and_befriending"),
    ("history", "learning_and_local_history"), ("reading", "learning_and_local_history"),
    ("book", "learning_and_local_history"), ("digital skills", "learning_and_local_history"),
    ("computer", "learning_and_local_history"), ("volunteer", "volunteering"),
    ("food bank", "volunteering"), ("repair", "volunteering"),
    ("benefits", "money_and_benefits_advice"), ("debt", "money_and_benefits_advice"),
    ("pension credit", "money_and_benefits_advice"), ("energy bills", "money_and_benefits_advice"),
    ("housing", "housing"), ("tenancy", "housing"), ("carers", "carers_support"),
    ("young carers", "carers_support"), ("anxiety", "mental_health_support"),
    ("bereavement", "mental_health_support"), ("mindfulness", "mental_health_support"),
    ("wellbeing", "mental_health_support"), ("peer support", "mental_health_support"),
    ("domestic abuse", "domestic_abuse_support"), ("cooking", "food_and_cooking"),
    ("baking", "food_and_cooking"), ("pantry", "food_and_cooking"),
    ("job", "employment_and_skills"), ("cv", "employment_and_skills"),
    ("toddler", "family_activities"), ("dads", "family_activities"),
]


def ts(t):
    """A time as sqlx writes an OffsetDateTime on SQLite (time's RFC 3339: UTC as Z, the
    subsecond digits without trailing zeros, none at all on a whole second)."""
    s = t.strftime("%Y-%m-%dT%H:%M:%S")
    if t.microsecond:
        s += "." + f"{t.microsecond:06d}".rstrip("0")
    return s + "Z"


def load_sectors():
    for path in SECTOR_FILES:
        if os.path.exists(path):
            with open(path, newline="") as f:
                rows = [(r["sector"], float(r["latitude"]), float(r["longitude"]),
                         int(r["postcode_count"] or 1)) for r in csv.DictReader(f)]
            return [r for r in rows if r[3] > 0]
    sys.exit("gen_search.py: no sectors.csv (data/geo or /work/shared/data/geo)")


def area_of(outward):
    letters = ""
    for c in outward:
        if not c.isalpha():
            break
        letters += c
    return letters


class Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)

    def uuid7(self, t):
        ms = int(t.timestamp() * 1000)
        r = self.rng.getrandbits(74)
        n = (ms << 80) | (0x7 << 76) | ((r >> 62) << 64) | (0b10 << 62) | (r & ((1 << 62) - 1))
        return uuid.UUID(int=n)

    def between(self, start, end):
        span = max((end - start).total_seconds(), 1)
        return start + timedelta(seconds=self.rng.uniform(0, span),
                                 microseconds=self.rng.randint(0, 999999))

    def postcode(self, sector):
        return f"{sector}{''.join(self.rng.choice(INWARD_LETTERS) for _ in range(2))}"

    def phone(self):
        # Ofcom drama ranges: 0113 496 0000-0999 and friends.
        return self.rng.choice(["0113 496 0", "0114 496 0", "0115 496 0", "0116 496 0",
                                "0117 496 0", "0118 496 0", "0121 496 0", "0131 496 0",
                                "0141 496 0", "0151 496 0", "0161 496 0", "020 7946 0",
                                "029 2018 0", "0191 498 0"]) + f"{self.rng.randint(0, 999):03d}"


def generate(n_activities, n_providers, n_orgs, seed):
    g = Gen(seed)
    rng = g.rng
    sectors = load_sectors()
    by_area = {}
    for s in sectors:
        by_area.setdefault(area_of(s[0].split()[0]), []).append(s)
    cum = {}
    for a, ss in by_area.items():
        acc, c = 0, []
        for s in ss:
            acc += s[3]
            c.append(acc)
        cum[a] = c
    all_cum, acc = [], 0
    for s in sectors:
        acc += s[3]
        all_cum.append(acc)

    def weighted_sector(area=None):
        if area is None:
            return sectors[bisect.bisect_left(all_cum, rng.uniform(0, all_cum[-1]))]
        c = cum[area]
        return by_area[area][bisect.bisect_left(c, rng.uniform(0, c[-1]))]

    orgs = ["Y02794"] + [f"Y{rng.randint(10000, 99999):05d}" for _ in range(n_orgs - 1)]
    providers = []  # rows
    homes = []      # (provider id, name, area, town, organisation)
    start = NOW - timedelta(days=3 * 365)
    for i in range(n_providers):
        home = weighted_sector()
        area = area_of(home[0].split()[0])
        town = TOWNS.get(area, area)
        created = g.between(start, NOW - timedelta(days=400))
        pid = g.uuid7(created)
        name = rng.choice(PROVIDER_KINDS).format(town=town)
        if rng.random() < 0.5:
            name = f"{name} ({home[0].split()[0]})"
        org = rng.choice(orgs)
        slug = "".join(c for c in name.lower() if c.isalnum())[:30]
        providers.append((pid, org, name,
                          f"{name} runs community activities and support in and around {town}.",
                          None, rng.choice(["Sam", "Alex", "Jo", "Priya", "Tomasz", "Aisha"]) + " "
                          + rng.choice(["Hughes", "Khan", "Jones", "Okafor", "Smith", "Nowak"]),
                          f"hello@{slug}.org.uk", g.phone(), f"https://www.{slug}.org.uk",
                          None, ts(created), ts(created)))
        homes.append((pid, name, area, town, org, created))

    activities = []
    counts = {"active": 0, "not_active": 0, "deleted": 0, "online_only": 0, "confidential": 0}
    for _ in range(n_activities):
        pid, pname, area, town, org, p_created = rng.choice(homes)
        primary = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        names, sentences = CATALOGUE[primary]
        cats = [primary] + [c for c in RELATED[primary] if rng.random() < 0.25][:2]
        sector = weighted_sector(area) if rng.random() < 0.9 else weighted_sector()
        created = g.between(p_created, NOW - timedelta(days=1))
        updated = created if rng.random() < 0.6 else g.between(created, NOW)
        aid = g.uuid7(created)
        name = rng.choice(names)
        r = rng.random()
        if r < 0.35:
            name = f"{name} – {town}"
        elif r < 0.5:
            name = f"{town} {name}"
        description = " ".join(rng.sample(sentences, min(len(sentences), rng.randint(2, 3)))
                               + rng.sample(GENERAL, rng.randint(1, 3)))
        status = rng.choices(["active", "inactive", "temporarily_closed", "defunct"],
                             [95, 2, 2, 1])[0]
        join = rng.choices(["drop_in", "referral", "booking"], [50, 25, 25])[0]
        if primary in ("money_and_benefits_advice", "housing", "domestic_abuse_support",
                       "mental_health_support", "carers_support") or rng.random() < 0.55:
            pence, unit = None, None
        else:
            pence, unit = rng.choice([100, 150, 200, 250, 300, 350, 400, 500, 800, 1200, 2500]), rng.choice(UNITS)
        age_min = age_max = None
        a = rng.random()
        if primary == "family_activities":
            age_min, age_max = 0, rng.choice([5, 11, 16])
        elif a < 0.35:
            age_min = 18
        elif a < 0.45:
            age_min = 50
        elif a < 0.5:
            age_min, age_max = 11, 18
        accessibility = sorted(rng.sample(ACCESSIBILITY, rng.choice([0, 0, 1, 2, 2, 3, 4])),
                               key=ACCESSIBILITY.index)
        r = rng.random()
        online = r < 0.13
        has_location = not (r < 0.08)
        confidential = primary == "domestic_abuse_support" and has_location and rng.random() < 0.6
        address = town_v = postcode = lat = lon = area_name = None
        if has_location:
            postcode = g.postcode(sector[0])
            address = f"{rng.choice(VENUES)}, {rng.randint(1, 240)} {rng.choice(STREETS)}"
            town_v = town
            if rng.random() < 0.7:
                lat, lon = sector[1], sector[2]  # placed from the postcode by the API
            else:  # the editor gave coordinates: within about 600 m of the sector centroid
                lat = round(sector[1] + rng.uniform(-0.005, 0.005), 6)
                lon = round(sector[2] + rng.uniform(-0.008, 0.008), 6)
            if confidential or rng.random() < 0.3:
                area_name = f"{town} {sector[0].split()[0]}"
        sessions = []
        days = set()
        while len(days) < rng.choice([1, 1, 1, 2, 2, 3]):
            days.add(rng.choices(range(7), DAY_WEIGHTS)[0])
        for d in sorted(days):
            start_min = rng.choice(range(9 * 60, 19 * 60 + 1, 30))
            end_min = min(start_min + rng.choice([60, 90, 120, 120, 180]), 23 * 60 + 59)
            sessions.append({"day": DAYS[d], "start": f"{start_min // 60:02d}:{start_min % 60:02d}",
                             "end": f"{end_min // 60:02d}:{end_min % 60:02d}"})
        if primary in ("money_and_benefits_advice", "housing") and rng.random() < 0.3:
            sessions = []  # by appointment
        verified = None
        if rng.random() < 0.85:
            verified = (NOW - timedelta(days=rng.randint(0, 730))).date()
        deleted = rng.random() < 0.005
        if deleted:
            counts["deleted"] += 1
        elif status == "active":
            counts["active"] += 1
        else:
            counts["not_active"] += 1
        counts["online_only"] += online and not has_location
        counts["confidential"] += confidential
        activities.append((
            aid, org, pid, name, description, json.dumps(cats, separators=(",", ":")), status,
            join, pence, unit, age_min, age_max,
            json.dumps(accessibility, separators=(",", ":")), online, has_location, address,
            town_v, postcode, lat, lon, area_name, confidential,
            json.dumps(sessions, separators=(",", ":")),
            None if rng.random() < 0.5 else pname.split(" (")[0] + " team",
            None, g.phone() if rng.random() < 0.7 else None, None,
            rng.choice([None, None, 8, 12, 15, 20, 30]), rng.random() < 0.9,
            verified.isoformat() if verified else None, None,
            1 if updated == created else rng.randint(2, 5), deleted, ts(created), ts(updated)))
    return providers, activities, counts, sectors


PROVIDER_COLUMNS = ("id, organisation, name, description, ods_code, contact_name, contact_email, "
                    "contact_phone, website, external_id, created_at, updated_at")
ACTIVITY_COLUMNS = ("id, organisation, provider_id, name, description, categories, status, "
                    "join_method, cost_pence, cost_unit, age_min, age_max, accessibility, online, "
                    "has_location, address, town, postcode, latitude, longitude, area, "
                    "confidential_location, schedule, contact_name, contact_email, contact_phone, "
                    "website, capacity, taking_new_people, last_verified_on, external_id, version, "
                    "deleted, created_at, updated_at")


def sqlite_value(v):
    if isinstance(v, uuid.UUID):
        return v.bytes
    if isinstance(v, bool):
        return int(v)
    return v


def write_sqlite(path, providers, activities):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA foreign_keys = ON")
    db.execute("PRAGMA synchronous = OFF")
    db.execute("BEGIN")
    for table, cols, rows in (("providers", PROVIDER_COLUMNS, providers),
                              ("activities", ACTIVITY_COLUMNS, activities)):
        marks = ", ".join("?" * len(cols.split(",")))
        db.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})",
                       (tuple(sqlite_value(v) for v in r) for r in rows))
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()


def write_csv(out_dir, providers, activities):
    os.makedirs(out_dir, exist_ok=True)
    for table, rows in (("providers", providers), ("activities", activities)):
        with open(os.path.join(out_dir, f"{table}.csv"), "w", newline="") as f:
            w = csv.writer(f)
            for r in rows:
                # psql's CSV: an unquoted empty field is NULL.
                w.writerow(["" if v is None else ("t" if v is True else "f" if v is False else v)
                            for v in r])
    with open(os.path.join(out_dir, "load.sql"), "w") as f:
        f.write(f"\\copy providers ({PROVIDER_COLUMNS}) FROM '{out_dir}/providers.csv' WITH (FORMAT csv)\n")
        f.write(f"\\copy activities ({ACTIVITY_COLUMNS}) FROM '{out_dir}/activities.csv' WITH (FORMAT csv)\n")
        f.write("ANALYZE;\n")


def bbox(lat, lon, radius_km):
    """The same box as BoundingBox::around in crates/domain/src/directory/geo.rs."""
    dlat = math.degrees(radius_km / EARTH_RADIUS_KM)
    widest = math.radians(min(abs(lat) + dlat, 89.9))
    dlon = math.degrees(radius_km / (EARTH_RADIUS_KM * math.cos(widest)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def searches(g, sectors, n_urls, n_plain):
    """The service's mixed searches, and the plain query's parameter sets."""
    rng = g.rng
    cum, acc = [], 0
    for s in sectors:
        acc += s[3]
        cum.append(acc)

    def place():
        s = sectors[bisect.bisect_left(cum, rng.uniform(0, cum[-1]))]
        return s

    def near_value(s):
        # Mostly full postcodes, some outward codes (LS6), as people type them.
        return g.postcode(s[0]) if rng.random() < 0.75 else s[0].split()[0]

    kinds = ["text", "text_near", "category_day_free", "near"]
    urls, count = [], {k: 0 for k in kinds}
    for i in range(n_urls):
        kind = kinds[i % 4]
        count[kind] += 1
        term = rng.choice(TERMS)[0]
        if kind == "text":
            params = [("q", term)]
        elif kind == "text_near":
            params = [("q", term), ("near", near_value(place())),
                      ("radius_km", str(rng.choice([5, 10, 10, 15, 25])))]
        elif kind == "category_day_free":
            cats = rng.sample(CATEGORIES, rng.choice([1, 1, 1, 2]))
            days = rng.sample(DAYS[:5], rng.choice([1, 1, 2])) if rng.random() < 0.85 else ["saturday"]
            params = [("category", c) for c in cats] + [("day", d) for d in days] + [("free", "true")]
        else:
            params = [("near", near_value(place()))]
            if rng.random() < 0.5:
                params.append(("radius_km", str(rng.choice([3, 5, 10, 20]))))
        urls.append("/v1/activities?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in params))
    rng.shuffle(urls)

    plain = []
    for _ in range(n_plain):
        term, category = rng.choice(TERMS)
        s = place()
        radius = rng.choice([5, 10, 10, 15, 25])
        min_lat, max_lat, min_lon, max_lon = bbox(s[1], s[2], radius)
        plain.append({"q": term, "words": term.replace("'", " ").split(), "category": category,
                      "min_lat": min_lat, "max_lat": max_lat, "min_lon": min_lon,
                      "max_lon": max_lon, "radius_km": radius, "sector": s[0]})
    return urls, count, plain


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--sqlite", help="a migrated socialrx SQLite database to fill")
    p.add_argument("--csv", help="a directory for CSV files and load.sql (PostgreSQL)")
    p.add_argument("--activities", type=int, default=100_000)
    p.add_argument("--providers", type=int, default=9_000)
    p.add_argument("--organisations", type=int, default=60)
    p.add_argument("--urls", type=int, default=20_000)
    p.add_argument("--plain", type=int, default=100)
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args()
    started = time.time()
    providers, activities, counts, sectors = generate(a.activities, a.providers,
                                                      a.organisations, a.seed)
    if a.sqlite:
        write_sqlite(a.sqlite, providers, activities)
    if a.csv:
        write_csv(a.csv, providers, activities)
    os.makedirs(a.out_dir, exist_ok=True)
    urls, kinds, plain = searches(Gen(a.seed + 1), sectors, a.urls, a.plain)
    with open(os.path.join(a.out_dir, "urls.txt"), "w") as f:
        f.writelines(u + "\n" for u in urls)
    with open(os.path.join(a.out_dir, "plain.jsonl"), "w") as f:
        f.writelines(json.dumps(q) + "\n" for q in plain)
    print(json.dumps({"seconds": round(time.time() - started, 1), "providers": len(providers),
                      "activities": len(activities), "sectors": len(sectors), **counts,
                      "urls": kinds, "plain": len(plain)}))


if __name__ == "__main__":
    sys.exit(main())
