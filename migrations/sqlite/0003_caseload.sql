-- Referral lifecycle and caseloads: link workers, assignment and its history, contacts,
-- plan revisions and possible-duplicate flags. Same meaning as the PostgreSQL file.

CREATE TABLE link_workers (
    id            BLOB PRIMARY KEY,
    organisation  TEXT NOT NULL,
    subject       TEXT NOT NULL,
    display_name  TEXT NOT NULL,
    capacity      INTEGER NOT NULL,
    active        INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (organisation, subject)
);
CREATE INDEX link_workers_by_org ON link_workers (organisation, id);

-- The current assignment and contact facts, kept on the referral so that a caseload is one
-- indexed read. Histories live in their own tables below.
ALTER TABLE referrals ADD COLUMN link_worker_id BLOB REFERENCES link_workers (id);
ALTER TABLE referrals ADD COLUMN assigned_at TEXT;
ALTER TABLE referrals ADD COLUMN first_contact_at TEXT;
ALTER TABLE referrals ADD COLUMN last_contact_at TEXT;
ALTER TABLE referrals ADD COLUMN next_follow_up_on TEXT;
-- A caseload: one link worker's referrals in the open states.
CREATE INDEX referrals_by_link_worker ON referrals (link_worker_id, status);

CREATE TABLE referral_assignments (
    id                       BLOB PRIMARY KEY,
    referral_id              BLOB NOT NULL REFERENCES referrals (id),
    link_worker_id           BLOB NOT NULL REFERENCES link_workers (id),
    previous_link_worker_id  BLOB REFERENCES link_workers (id),
    capacity_overridden      INTEGER NOT NULL,
    note                     TEXT,
    actor                    TEXT NOT NULL,
    at                       TEXT NOT NULL
);
CREATE INDEX referral_assignments_by_referral ON referral_assignments (referral_id, id);
CREATE INDEX referral_assignments_by_link_worker ON referral_assignments (link_worker_id);

CREATE TABLE contacts (
    id                 BLOB PRIMARY KEY,
    organisation       TEXT NOT NULL,
    referral_id        BLOB NOT NULL REFERENCES referrals (id),
    mode               TEXT NOT NULL,
    occurred_at        TEXT NOT NULL,
    minutes            INTEGER,
    notes              TEXT,
    next_follow_up_on  TEXT,
    recorded_by        TEXT NOT NULL,
    recorded_at        TEXT NOT NULL
);
CREATE INDEX contacts_by_referral ON contacts (referral_id, id);

-- Every saved version of a plan; the highest version is the plan. The unique key makes
-- two concurrent saves of the same version conflict instead of losing one.
CREATE TABLE plan_revisions (
    id                  BLOB PRIMARY KEY,
    organisation        TEXT NOT NULL,
    referral_id         BLOB NOT NULL REFERENCES referrals (id),
    version             INTEGER NOT NULL,
    what_matters_to_me  TEXT,
    goals               TEXT NOT NULL,
    steps               TEXT NOT NULL,
    actor               TEXT NOT NULL,
    at                  TEXT NOT NULL,
    UNIQUE (referral_id, version)
);

-- A flag is held once per direction, so each referral finds its own flags by key.
CREATE TABLE possible_duplicates (
    id                 BLOB PRIMARY KEY,
    organisation       TEXT NOT NULL,
    referral_id        BLOB NOT NULL REFERENCES referrals (id),
    other_referral_id  BLOB NOT NULL REFERENCES referrals (id),
    detected_at        TEXT NOT NULL,
    detected_by        TEXT NOT NULL,
    resolution         TEXT,
    resolved_by        TEXT,
    resolved_at        TEXT,
    UNIQUE (referral_id, other_referral_id)
);

-- Duplicate detection at intake looks people up by date of birth (and NHS number, which
-- 0001 already indexes).
CREATE INDEX people_by_date_of_birth ON people (organisation, date_of_birth);
