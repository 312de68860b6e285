-- pgbench script for tests/bench/intake.sh: one ~1.5 KB referral-like row per
-- transaction (autocommit, synchronous_commit on), varied per row through :n.
\set n random(1, 999999999)
INSERT INTO referral_raw VALUES (
    gen_random_uuid(), 'Y02794', 'SRX-' || to_hex((:n)::bigint), gen_random_uuid(),
    lpad((:n)::text, 10, '4'), 'Margaret', 'Hughes', DATE '1931-01-01' + ((:n)::int % 25000), 'HD1 2RS',
    '01484 496000', 'phone', 'English', false, 'Mornings are difficult', 'B85001', 'gp',
    'B85001', 'Dr Asha Patel', 'GP', '["low_mood_anxiety", "long_term_condition", "carer_support"]',
    'Lives alone since her husband died last year and rarely leaves the house. Has type 2 diabetes and COPD; finds it hard to manage appointments on his own. Would like help to find a befriending service or a local lunch club. Interested in volunteering, local history, choirs and crochet. Prefers to be called after 11am; a daughter can help with the phone call if needed. Struggling with the cost of heating and food; has not claimed pension credit. Bereaved in the spring; would value a bereavement support group near home. Keen to get more active but anxious about going to the gym alone. Moved to the area six months ago and does not know anyone yet. Damp in the flat is making his asthma worse; the landlord has not replied. Reports low mood and poor sleep; declined medication and would like to try community support. Used to enjoy gardening and walking groups before the knee operation. Cares for his mother who has dementia and has had no break for several months. Recently lost her job and is behind on rent; worried about a council tax letter. Has attended A&E three times this quarter, mostly out of hours. Would like help to find a befriendin',
    'routine', TIMESTAMPTZ '2026-11-20T10:15:00Z', 'verbal', 'received', 'bench', now(), now(),
    'create', '127.0.0.1', md5((:n)::text));
