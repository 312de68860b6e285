-- FHIR intake: what a referral received as FHIR carried that our own model does not keep.
-- One row per referral that came in through /fhir/r4; the referral itself is an ordinary
-- row of `referrals`, written by the same code in the same transaction.
CREATE TABLE fhir_referrals (
    referral_id   UUID PRIMARY KEY REFERENCES referrals (id) ON DELETE CASCADE,
    organisation  TEXT NOT NULL,
    -- The sender's id for its ServiceRequest (resource id or bundle fullUrl), if any.
    source_id     TEXT,
    -- The BaRS X-Request-Id the referral arrived with.
    request_id    TEXT,
    -- The ServiceRequest's category, code and reasonCode codings as received, each with
    -- the reason code we mapped it to: codes only, never free text.
    codings       JSONB NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE INDEX fhir_referrals_organisation ON fhir_referrals (organisation, referral_id);
