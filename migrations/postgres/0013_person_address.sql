-- A person's postal address lines (the postcode has its own column), for people who ask
-- to be contacted by letter. One line break between lines; NULL when none was given.
-- Retention clears it with the other contact details.
ALTER TABLE people ADD COLUMN address_lines TEXT;
