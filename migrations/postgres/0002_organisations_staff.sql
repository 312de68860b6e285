-- Organisations (tenants, by ODS code) and their staff. Personal data rows elsewhere carry
-- the organisation's ODS code; a token's `org` claim names the organisation it acts for.

CREATE TABLE organisations (
    id          UUID PRIMARY KEY,
    ods_code    TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE staff (
    id            UUID PRIMARY KEY,
    organisation  TEXT NOT NULL,
    subject       TEXT NOT NULL,
    name          TEXT NOT NULL,
    email         TEXT,
    roles         JSONB NOT NULL,
    active        BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (organisation, subject)
);
CREATE INDEX staff_by_org ON staff (organisation, id);

-- Retention: an anonymised person keeps only what reporting needs (year of birth, postal
-- district); `anonymised_at` says when the rest was removed.
ALTER TABLE people ADD COLUMN anonymised_at TIMESTAMPTZ;
ALTER TABLE people ADD COLUMN postcode_district TEXT;
