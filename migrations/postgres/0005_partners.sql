-- Partner forms: an organisation's partner websites that post self-referrals with a key.
-- Only the key's SHA-256 is kept. A revoked partner stays (active = false) so that the
-- referrals and audit events naming it as `partner:<id>` still lead somewhere.

CREATE TABLE partners (
    id            UUID PRIMARY KEY,
    organisation  TEXT NOT NULL,
    name          TEXT NOT NULL,
    key_hash      TEXT NOT NULL UNIQUE,
    key_prefix    TEXT NOT NULL,
    active        BOOLEAN NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    disabled_at   TIMESTAMPTZ
);
CREATE INDEX partners_by_org ON partners (organisation, id DESC);

-- One row per allowed web origin, so that "does any active partner list this origin?"
-- (the CORS preflight, which carries no key) is one indexed look-up on both backends.
CREATE TABLE partner_origins (
    partner_id  UUID NOT NULL REFERENCES partners (id),
    position    INTEGER NOT NULL,
    origin      TEXT NOT NULL,
    PRIMARY KEY (partner_id, position),
    UNIQUE (partner_id, origin)
);
CREATE INDEX partner_origins_by_origin ON partner_origins (origin);
