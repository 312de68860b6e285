-- The PRSB Social Prescribing standard's risks and safeguarding sections, and the link
-- worker's part of the message back to the GP and referrer. One row per referral each,
-- replaced whole on every change (the audit trail says who changed it and when).
-- Risks and concerns are JSON lists: [{code, description, comment, started_on/identified_on,
-- ended_on}], dates as YYYY-MM-DD text.
CREATE TABLE referral_risks (
    referral_id     UUID PRIMARY KEY REFERENCES referrals (id),
    organisation    TEXT NOT NULL,
    no_known_risks  BOOLEAN NOT NULL,
    risks           JSONB NOT NULL,
    safeguarding    JSONB NOT NULL,
    updated_by      TEXT NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);

CREATE TABLE referral_message_back (
    referral_id                UUID PRIMARY KEY REFERENCES referrals (id),
    organisation               TEXT NOT NULL,
    summary                    TEXT,
    actions_for_professionals  TEXT,
    actions_for_person         TEXT,
    agreed_with_person         BOOLEAN,
    updated_by                 TEXT NOT NULL,
    updated_at                 TIMESTAMPTZ NOT NULL
);
