-- What the requester asked for, as sent: the ServiceRequest's code, category, reasonCode,
-- reasonReference, basedOn, identifier and intent, so that a read gives them back
-- unchanged (the codings column keeps only codes and the reason each became). It may hold
-- free text (a concept's text, a reference's display), so anonymisation clears it; the
-- codes stay in `codings`. NULL for referrals received before this column existed.
ALTER TABLE fhir_referrals ADD COLUMN requested TEXT;
