-- The raw PostgreSQL limit (tests/bench/intake.sh): a scratch table that takes one
-- referral-like row per transaction. The row carries what the service's four intake rows
-- carry (person, referral, status and audit fields; notes padded so the row is about
-- 1.5 KB), with a UUID primary key and one secondary index, like the service's tables.
CREATE TABLE referral_raw (
    id                   UUID PRIMARY KEY,
    organisation         TEXT NOT NULL,
    reference            TEXT NOT NULL,
    person_id            UUID NOT NULL,
    nhs_number           TEXT,
    given_name           TEXT NOT NULL,
    family_name          TEXT NOT NULL,
    date_of_birth        DATE NOT NULL,
    postcode             TEXT NOT NULL,
    phone                TEXT,
    preferred_contact    TEXT NOT NULL,
    language             TEXT,
    interpreter_needed   BOOLEAN NOT NULL,
    accessibility_needs  TEXT,
    registered_practice  TEXT,
    source               TEXT NOT NULL,
    referrer_ods         TEXT,
    referrer_name        TEXT NOT NULL,
    referrer_role        TEXT,
    reasons              JSONB NOT NULL,
    notes                TEXT,
    urgency              TEXT NOT NULL,
    consent_given_at     TIMESTAMPTZ NOT NULL,
    consent_method       TEXT NOT NULL,
    status               TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    audit_action         TEXT NOT NULL,
    client_ip            TEXT,
    request_id           TEXT
);
CREATE INDEX referral_raw_by_org ON referral_raw (organisation, id DESC);
