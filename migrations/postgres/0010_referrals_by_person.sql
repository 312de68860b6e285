-- Referrals by the person they are for. Intake's possible-duplicate check joins people
-- found by date of birth or NHS number to their referrals; without this index that join
-- read every referral of the table for every referral received (the intake benchmark
-- fell from about 1,900 to 500 a second on PostgreSQL at 22,000 referrals). Subject
-- access export and retention look referrals up by person too.
CREATE INDEX referrals_by_person ON referrals (person_id);
