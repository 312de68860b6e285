-- What the PRSB Social Prescribing standard adds to a referral and to the person: how the
-- referral was sent, the reason in the referrer's words, who the answer goes to, the
-- referrer's contact details, consent to share information (agreed, or not obtained with
-- a reason), and "about me". All optional; referrals from before have none.
ALTER TABLE referrals ADD COLUMN referral_method TEXT;
ALTER TABLE referrals ADD COLUMN reason_text TEXT;
ALTER TABLE referrals ADD COLUMN return_response_to TEXT;
ALTER TABLE referrals ADD COLUMN referrer_contact TEXT;
ALTER TABLE referrals ADD COLUMN information_sharing_agreed INTEGER;
ALTER TABLE referrals ADD COLUMN information_sharing_reason TEXT;
ALTER TABLE people ADD COLUMN pronouns TEXT;
ALTER TABLE people ADD COLUMN carer INTEGER;
ALTER TABLE people ADD COLUMN communication_needs TEXT;
