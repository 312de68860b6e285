-- pgbench: the same four rows in one statement (data-modifying CTEs), one round trip and
-- an implicit transaction. Foreign keys are checked at the end of the statement.
\set p random(1, 4611686018427387903)
\set r random(1, 4611686018427387903)
\set h random(1, 4611686018427387903)
\set a random(1, 4611686018427387903)
WITH p AS (INSERT INTO people (id, organisation, nhs_number, given_name, family_name, date_of_birth, postcode, phone, email, preferred_contact, language, interpreter_needed, accessibility_needs, registered_practice, created_at)
        VALUES (bench_id((:p)::bigint), 'Y02794', lpad(((:p)::bigint % 10000000000)::text, 10, '4'), 'Margaret', 'Hughes', DATE '1971-03-14', 'HD1 2RS', '01484 496000', NULL, 'phone', 'English', false, 'Mornings are difficult', 'B85001', now()) RETURNING id),
  r AS (INSERT INTO referrals (id, organisation, reference, person_id, source, referrer_ods, referrer_name, referrer_role, reasons, notes, urgency, consent_given_at, consent_method, status, created_by, created_at, updated_at)
        VALUES (bench_id((:r)::bigint), 'Y02794', 'SRX-' || upper(to_hex((:r)::bigint)), bench_id((:p)::bigint), 'gp', 'B85001', 'Dr Asha Patel', 'GP', '["low_mood_anxiety", "long_term_condition"]'::jsonb, 'Lives alone since her husband died last year and rarely leaves the house. Has type 2 diabetes and COPD; finds it hard to manage appointments on his own. Would like help to find a befriending service or a local lunch club. Interested in volunteering, local history, choirs and crochet. Prefers to be called after 11am; a daughter can help with the phone call if needed.', 'routine', TIMESTAMPTZ '2026-11-20T10:15:00Z', 'verbal', 'received', 'bench', now(), now()) RETURNING id),
  h AS (INSERT INTO referral_status_history (id, referral_id, from_status, to_status, reason, note, actor, at)
        VALUES (bench_id((:h)::bigint), bench_id((:r)::bigint), NULL, 'received', NULL, NULL, 'bench', now())),
  a AS (INSERT INTO audit_events (id, organisation, actor, action, resource_type, resource_id, person_id, at, client_ip, request_id)
        VALUES (bench_id((:a)::bigint), 'Y02794', 'bench', 'create', 'referral', bench_id((:r)::bigint), bench_id((:p)::bigint), now(), '127.0.0.1', md5((:a)::text)))
SELECT (SELECT count(*) FROM p) + (SELECT count(*) FROM r);
