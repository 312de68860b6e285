-- Referrals between organisations. A referral is held by the receiving service
-- (`organisation`, as before) and names the organisation that sent it
-- (`referrer_organisation`, the token's `org` at intake). Every referral made before this
-- migration was sent by the service to itself.
ALTER TABLE referrals ADD COLUMN referrer_organisation TEXT NOT NULL DEFAULT '';
UPDATE referrals SET referrer_organisation = organisation;
-- A referrer organisation lists what it sent, newest first.
CREATE INDEX referrals_by_referrer ON referrals (referrer_organisation, id DESC);

-- Who may refer into a service: a named referrer organisation, or any organisation whose
-- token was signed by a configured identity provider (its issuer). Managed by the
-- service's admin; an organisation always accepts its own referrals.
CREATE TABLE referral_agreements (
    id                 BLOB PRIMARY KEY,
    organisation       TEXT NOT NULL,
    referrer_ods_code  TEXT,
    issuer             TEXT,
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    CHECK ((referrer_ods_code IS NULL) <> (issuer IS NULL))
);
CREATE UNIQUE INDEX referral_agreements_by_referrer
    ON referral_agreements (organisation, referrer_ods_code) WHERE referrer_ods_code IS NOT NULL;
CREATE UNIQUE INDEX referral_agreements_by_issuer
    ON referral_agreements (organisation, issuer) WHERE issuer IS NOT NULL;

-- A read by another organisation (a referrer reading the referrals it sent) is written to
-- the trail of the organisation holding the record, naming the reader's organisation.
ALTER TABLE audit_events ADD COLUMN actor_organisation TEXT;
