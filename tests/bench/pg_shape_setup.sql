-- Diagnostics for tests/bench/intake.sh: applied to a scratch database that already holds
-- the service's schema (migrations/postgres). bench_id(r) makes a time-ordered UUID (like
-- Uuid::now_v7) from the transaction's start time and a random number, so that the same r
-- gives the same id in every statement of one transaction.
CREATE FUNCTION bench_id(r bigint) RETURNS uuid LANGUAGE sql STABLE AS $$
    SELECT (lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint), 12, '0') || '7'
            || substr(lpad(to_hex(r), 18, '0'), 1, 3) || '8'
            || substr(lpad(to_hex(r), 18, '0'), 4, 15))::uuid
$$;
