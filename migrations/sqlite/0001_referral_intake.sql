-- Referral intake: people, referrals, their status history, idempotency keys and the
-- append-only audit trail. Ids and times are made in Rust so both backends hold the same.

CREATE TABLE people (
    id                   BLOB PRIMARY KEY,
    organisation         TEXT NOT NULL,
    nhs_number           TEXT,
    given_name           TEXT NOT NULL,
    family_name          TEXT NOT NULL,
    date_of_birth        TEXT NOT NULL,
    postcode             TEXT NOT NULL,
    phone                TEXT,
    email                TEXT,
    preferred_contact    TEXT NOT NULL,
    language             TEXT,
    interpreter_needed   INTEGER NOT NULL,
    accessibility_needs  TEXT,
    registered_practice  TEXT,
    created_at           TEXT NOT NULL
);
CREATE INDEX people_by_nhs_number ON people (organisation, nhs_number);

CREATE TABLE referrals (
    id                BLOB PRIMARY KEY,
    organisation      TEXT NOT NULL,
    reference         TEXT NOT NULL,
    person_id         BLOB NOT NULL REFERENCES people (id),
    source            TEXT NOT NULL,
    referrer_ods      TEXT,
    referrer_name     TEXT NOT NULL,
    referrer_role     TEXT,
    reasons           TEXT NOT NULL,
    notes             TEXT,
    urgency           TEXT NOT NULL,
    consent_given_at  TEXT NOT NULL,
    consent_method    TEXT NOT NULL,
    status            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    UNIQUE (organisation, reference)
);
-- Keyset pagination, newest first: ids are UUIDv7, so id order is creation order.
CREATE INDEX referrals_by_org ON referrals (organisation, id DESC);
CREATE INDEX referrals_by_org_status ON referrals (organisation, status, id DESC);
CREATE INDEX referrals_by_org_source ON referrals (organisation, source, id DESC);

CREATE TABLE referral_status_history (
    id           BLOB PRIMARY KEY,
    referral_id  BLOB NOT NULL REFERENCES referrals (id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    reason       TEXT,
    note         TEXT,
    actor        TEXT NOT NULL,
    at           TEXT NOT NULL
);
CREATE INDEX referral_status_history_by_referral ON referral_status_history (referral_id, id);

-- A key remembers the request's fingerprint and what it created; a retry is answered
-- from the created resource's immutable fields.
CREATE TABLE idempotency_keys (
    organisation     TEXT NOT NULL,
    key              TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    resource_id      BLOB NOT NULL,
    created_at       TEXT NOT NULL,
    PRIMARY KEY (organisation, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

CREATE TABLE audit_events (
    id             BLOB PRIMARY KEY,
    organisation   TEXT NOT NULL,
    actor          TEXT NOT NULL,
    action         TEXT NOT NULL,
    resource_type  TEXT NOT NULL,
    resource_id    BLOB NOT NULL,
    person_id      BLOB,
    at             TEXT NOT NULL,
    client_ip      TEXT,
    request_id     TEXT
);
CREATE INDEX audit_events_by_org ON audit_events (organisation, id DESC);
CREATE INDEX audit_events_by_person ON audit_events (organisation, person_id, id DESC);
