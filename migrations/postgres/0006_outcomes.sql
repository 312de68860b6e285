-- Outcomes, instrument wording, webhooks (subscriptions, outbox, deliveries).
-- Ids and times are made in Rust so both backends hold the same.

CREATE TABLE outcome_measurements (
    id            UUID PRIMARY KEY,
    organisation  TEXT NOT NULL,
    referral_id   UUID NOT NULL REFERENCES referrals (id),
    instrument    TEXT NOT NULL,
    time_point    TEXT NOT NULL,
    measured_on   DATE NOT NULL,
    answers       JSONB NOT NULL,
    recorded_by   TEXT NOT NULL,
    recorded_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX outcome_measurements_by_referral ON outcome_measurements (referral_id, instrument, id);
-- One baseline per referral and instrument, even under concurrent requests.
CREATE UNIQUE INDEX outcome_measurements_one_baseline
    ON outcome_measurements (referral_id, instrument) WHERE time_point = 'baseline';

-- Scores computed in the domain crate, one row per scale, so reports can aggregate in SQL.
-- `direction` is +1 when higher is better, -1 when a fall is an improvement.
CREATE TABLE outcome_scores (
    measurement_id  UUID NOT NULL REFERENCES outcome_measurements (id),
    scale           TEXT NOT NULL,
    value           DOUBLE PRECISION NOT NULL,
    direction       INTEGER NOT NULL,
    PRIMARY KEY (measurement_id, scale)
);

-- An organisation's own licensed item wording for an instrument (never shipped by us).
CREATE TABLE instrument_wordings (
    organisation  TEXT NOT NULL,
    instrument    TEXT NOT NULL,
    items         JSONB NOT NULL,
    licence       TEXT,
    updated_by    TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (organisation, instrument)
);

CREATE TABLE webhook_subscriptions (
    id            UUID PRIMARY KEY,
    organisation  TEXT NOT NULL,
    url           TEXT NOT NULL,
    secret        TEXT NOT NULL,
    event_types   JSONB NOT NULL,
    active        BOOLEAN NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_subscriptions_by_org ON webhook_subscriptions (organisation, id);

-- The outbox: written in the same transaction as the change it reports.
CREATE TABLE outbox_events (
    id            UUID PRIMARY KEY,
    organisation  TEXT NOT NULL,
    event_type    TEXT NOT NULL,
    payload       TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

-- One delivery per event and matching subscription, fanned out in the same transaction.
CREATE TABLE webhook_deliveries (
    id                UUID PRIMARY KEY,
    organisation      TEXT NOT NULL,
    event_id          UUID NOT NULL REFERENCES outbox_events (id),
    subscription_id   UUID NOT NULL REFERENCES webhook_subscriptions (id),
    status            TEXT NOT NULL,
    attempts          INTEGER NOT NULL,
    next_attempt_at   TIMESTAMPTZ NOT NULL,
    last_attempt_at   TIMESTAMPTZ,
    last_status_code  INTEGER,
    last_error        TEXT,
    delivered_at      TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_by_org ON webhook_deliveries (organisation, id DESC);
