-- Search benchmark, plain PostgreSQL query: full text (any of the words, English stemming,
-- ranked) + bounding box + category, the best 20 live activities. search_plain.py writes
-- one pgbench script per parameter set from this template, replacing @WORDS@ (words
-- joined with " or " for websearch_to_tsquery), @CATEGORY@ and the box corners.
SELECT a.id, a.name, a.description, a.categories, a.postcode, a.latitude, a.longitude,
       a.schedule, ts_rank(to_tsvector('english', a.name || ' ' || coalesce(a.description, '')), q) AS rank
FROM activities a, websearch_to_tsquery('english', '@WORDS@') q
WHERE to_tsvector('english', a.name || ' ' || coalesce(a.description, '')) @@ q
  AND a.latitude BETWEEN @MIN_LAT@ AND @MAX_LAT@
  AND a.longitude BETWEEN @MIN_LON@ AND @MAX_LON@
  AND a.categories ? '@CATEGORY@'
  AND a.status = 'active' AND NOT a.deleted
ORDER BY rank DESC, a.id
LIMIT 20;
