-- The PRSB Social Prescribing standard's details of contacts and of the care and support
-- plan. Same meaning as the PostgreSQL file.
--
-- Contacts: what became of the contact (rows from before were all contacts that took
-- place), where it took place, and who else was there (free text, cleared by retention).
ALTER TABLE contacts ADD COLUMN outcome TEXT NOT NULL DEFAULT 'attended';
ALTER TABLE contacts ADD COLUMN location_type TEXT;
ALTER TABLE contacts ADD COLUMN present TEXT;

-- Plans: the person's strengths (a JSON array of texts, like goals), whether the plan was
-- agreed with the person, when it is next reviewed and who arranges that. Each step's
-- who, confidence and review date live in the `steps` JSON, where older steps lack them.
ALTER TABLE plan_revisions ADD COLUMN strengths TEXT NOT NULL DEFAULT '[]';
ALTER TABLE plan_revisions ADD COLUMN agreed_with_person INTEGER;
ALTER TABLE plan_revisions ADD COLUMN planned_review_on TEXT;
ALTER TABLE plan_revisions ADD COLUMN review_by TEXT;
