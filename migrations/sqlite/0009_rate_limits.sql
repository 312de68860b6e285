-- Self-referral rate limits shared by every instance of the service: hits per bucket
-- (a partner, or a hash of a client network: never the address itself) per minute.
CREATE TABLE rate_limit_hits (
    bucket        TEXT NOT NULL,
    window_start  BIGINT NOT NULL,
    hits          INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
