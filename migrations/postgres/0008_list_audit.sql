-- A list read is one audit event naming every record it returned, instead of one event
-- per record: `listed` holds them as a JSON array of {"resource_id", "person_id"}.
-- Filters by person or resource match it as text (see the audit store).
ALTER TABLE audit_events ADD COLUMN listed TEXT;
