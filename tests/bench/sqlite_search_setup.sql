-- Search benchmark, plain SQLite query: FTS5 over name + description (Porter stemming,
-- external content on the activities table) and latitude/longitude for the bounding box,
-- added to the benchmark's copy of the database after the service has been measured.
CREATE VIRTUAL TABLE bench_fts USING fts5(
    name, description, content = 'activities', content_rowid = 'rowid',
    tokenize = 'porter unicode61'
);
INSERT INTO bench_fts (bench_fts) VALUES ('rebuild');
CREATE INDEX bench_activities_place ON activities (latitude, longitude);
ANALYZE;
