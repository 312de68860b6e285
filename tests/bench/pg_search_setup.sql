-- Search benchmark, plain PostgreSQL query: the indexes a hand-written search would have,
-- added to the benchmark's own copy of the service's schema after the service has been
-- measured (the service does not read them). Full text over name + description (English
-- stemming, GIN), and latitude/longitude for the bounding box.
CREATE INDEX bench_activities_fts ON activities
    USING gin (to_tsvector('english', name || ' ' || coalesce(description, '')));
CREATE INDEX bench_activities_place ON activities (latitude, longitude);
ANALYZE activities;
