-- The activity directory (providers, activities, the category taxonomy) and connections
-- of referrals to activities with their status history. Directory rows are public data;
-- connections are personal data, scoped by organisation like referrals.

CREATE TABLE providers (
    id             BLOB PRIMARY KEY,
    organisation   TEXT NOT NULL,
    name           TEXT NOT NULL,
    description    TEXT,
    ods_code       TEXT,
    contact_name   TEXT,
    contact_email  TEXT,
    contact_phone  TEXT,
    website        TEXT,
    external_id    TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL
);
-- Imports upsert by the feed's own id; NULLs (records made here) never clash.
CREATE UNIQUE INDEX providers_by_external_id ON providers (organisation, external_id);

CREATE TABLE categories (
    code      TEXT PRIMARY KEY,
    label     TEXT NOT NULL,
    position  INTEGER NOT NULL
);
INSERT INTO categories (code, label, position) VALUES
    ('arts_and_crafts', 'Arts and crafts', 1),
    ('physical_activity', 'Physical activity', 2),
    ('nature_and_gardening', 'Nature and gardening', 3),
    ('social_groups_and_befriending', 'Social groups and befriending', 4),
    ('learning_and_local_history', 'Learning and local history', 5),
    ('volunteering', 'Volunteering', 6),
    ('money_and_benefits_advice', 'Money and benefits advice', 7),
    ('housing', 'Housing', 8),
    ('carers_support', 'Carers support', 9),
    ('mental_health_support', 'Mental health support', 10),
    ('domestic_abuse_support', 'Domestic abuse support', 11),
    ('food_and_cooking', 'Food and cooking', 12),
    ('employment_and_skills', 'Employment and skills', 13),
    ('family_activities', 'Family activities', 14);

CREATE TABLE activities (
    id                     BLOB PRIMARY KEY,
    organisation           TEXT NOT NULL,
    provider_id            BLOB NOT NULL REFERENCES providers (id),
    name                   TEXT NOT NULL,
    description            TEXT,
    categories             TEXT NOT NULL,
    status                 TEXT NOT NULL,
    join_method            TEXT NOT NULL,
    cost_pence             INTEGER,
    cost_unit              TEXT,
    age_min                INTEGER,
    age_max                INTEGER,
    accessibility          TEXT NOT NULL,
    online                 INTEGER NOT NULL,
    has_location           INTEGER NOT NULL,
    address                TEXT,
    town                   TEXT,
    postcode               TEXT,
    latitude               REAL,
    longitude              REAL,
    area                   TEXT,
    confidential_location  INTEGER NOT NULL,
    schedule               TEXT NOT NULL,
    contact_name           TEXT,
    contact_email          TEXT,
    contact_phone          TEXT,
    website                TEXT,
    capacity               INTEGER,
    taking_new_people      INTEGER NOT NULL,
    last_verified_on       TEXT,
    external_id            TEXT,
    version                INTEGER NOT NULL,
    deleted                INTEGER NOT NULL,
    created_at             TEXT NOT NULL,
    updated_at             TEXT NOT NULL
);
-- The search index follows changes by time (deletions are kept as `deleted` rows).
CREATE INDEX activities_by_update ON activities (updated_at);
CREATE INDEX activities_by_provider ON activities (provider_id);
CREATE UNIQUE INDEX activities_by_external_id ON activities (organisation, external_id);

CREATE TABLE connections (
    id                          BLOB PRIMARY KEY,
    organisation                TEXT NOT NULL,
    referral_id                 BLOB NOT NULL REFERENCES referrals (id),
    activity_id                 BLOB NOT NULL REFERENCES activities (id),
    status                      TEXT NOT NULL,
    supported_first_attendance  INTEGER NOT NULL,
    note                        TEXT,
    created_by                  TEXT NOT NULL,
    created_at                  TEXT NOT NULL,
    updated_at                  TEXT NOT NULL
);
CREATE INDEX connections_by_referral ON connections (organisation, referral_id, id);
CREATE INDEX connections_by_activity ON connections (activity_id, status);

CREATE TABLE connection_status_history (
    id             BLOB PRIMARY KEY,
    connection_id  BLOB NOT NULL REFERENCES connections (id),
    from_status    TEXT,
    to_status      TEXT NOT NULL,
    note           TEXT,
    actor          TEXT NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX connection_status_history_by_connection ON connection_status_history (connection_id, id);
