//! Referrals: who they are for, who sent them and why, and the lifecycle they follow.

use std::fmt;

use rand::Rng;
use time::OffsetDateTime;

use crate::person::Person;
use crate::violations::Invalid;
use crate::{OdsCode, code_list};

code_list!(
    /// Who made the referral.
    Source {
        Gp => "gp",
        PracticeNurse => "practice_nurse",
        OtherProfessional => "other_professional",
        LocalAgency => "local_agency",
        SelfReferral => "self",
    }
);

code_list!(
    /// Why the person was referred: the controlled list of DESIGN.md.
    Reason {
        LonelinessIsolation => "loneliness_isolation",
        LowMoodAnxiety => "low_mood_anxiety",
        LongTermCondition => "long_term_condition",
        CarerSupport => "carer_support",
        MoneyBenefitsDebt => "money_benefits_debt",
        Housing => "housing",
        EmploymentSkills => "employment_skills",
        PhysicalActivity => "physical_activity",
        Bereavement => "bereavement",
        DomesticAbuse => "domestic_abuse",
        SubstanceUse => "substance_use",
        Other => "other",
    }
);

code_list!(
    Urgency {
        Routine => "routine",
        Urgent => "urgent",
    }
);

code_list!(
    /// How consent to the referral was obtained.
    ConsentMethod {
        Verbal => "verbal",
        Written => "written",
        Electronic => "electronic",
    }
);

code_list!(
    /// Where a referral is in its lifecycle.
    Status {
        Received => "received",
        Accepted => "accepted",
        Declined => "declined",
        Assigned => "assigned",
        InProgress => "in_progress",
        Closed => "closed",
    }
);

code_list!(
    /// Why a referral was closed.
    ClosureReason {
        GoalsMet => "goals_met",
        DeclinedByPerson => "declined_by_person",
        UnableToContact => "unable_to_contact",
        MovedAway => "moved_away",
        ReferredElsewhere => "referred_elsewhere",
        Other => "other",
    }
);

impl Status {
    /// The states a referral may move to next. `declined` and `closed` are final.
    pub fn next(self) -> &'static [Status] {
        use Status::*;
        match self {
            Received => &[Accepted, Declined, Closed],
            Accepted => &[Assigned, Closed],
            Assigned => &[InProgress, Closed],
            InProgress => &[Closed],
            Declined | Closed => &[],
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, Status::Declined | Status::Closed)
    }

    /// Checks one move of the state machine.
    pub fn transition(self, to: Status) -> Result<Status, IllegalTransition> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }
}

/// A move the lifecycle does not allow; carries what would have been allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a referral that is '{from}' cannot move to '{to}'")]
pub struct IllegalTransition {
    pub from: Status,
    pub to: Status,
}

/// The short human reference read out on the phone: `SRX-` and eight characters from an
/// alphabet without look-alikes (no 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReferralReference(String);

impl ReferralReference {
    pub const ALPHABET: &'static [u8] = b"34679ACDEFGHJKMNPQRTWXY";
    const LEN: usize = 8;

    /// A fresh random reference: 23^8 (about 78 billion) values, so a clash within one
    /// organisation is rare and the store retries on the unique constraint.
    pub fn generate() -> Self {
        let mut rng = rand::rng();
        let body: String = (0..Self::LEN)
            .map(|i| {
                let c = char::from(Self::ALPHABET[rng.random_range(0..Self::ALPHABET.len())]);
                if i == 4 {
                    format!("-{c}")
                } else {
                    c.to_string()
                }
            })
            .collect();
        Self(format!("SRX-{body}"))
    }

    /// Reads a reference as typed by a person: case and spacing forgiven.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let compact: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect::<String>()
            .to_ascii_uppercase();
        let body = compact.strip_prefix("SRX").unwrap_or(&compact);
        if body.len() == Self::LEN && body.bytes().all(|b| Self::ALPHABET.contains(&b)) {
            Ok(Self(format!("SRX-{}-{}", &body[..4], &body[4..])))
        } else {
            Err(Invalid::new(
                "reference_format",
                "must be a referral reference such as SRX-7K3M-9QPD",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// For values read back from the store, which only ever holds generated references.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for ReferralReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who sent the referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referrer {
    pub ods_code: Option<OdsCode>,
    pub name: String,
    pub role: Option<String>,
}

/// Consent to the referral; a referral without given consent is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Consent {
    pub given_at: OffsetDateTime,
    pub method: ConsentMethod,
}

impl Consent {
    /// `given` must be true and `given_at` not in the future (five minutes of clock skew
    /// between the referrer's system and ours are forgiven).
    pub fn parse(
        given: bool,
        given_at: OffsetDateTime,
        method: ConsentMethod,
        now: OffsetDateTime,
    ) -> Result<Self, Invalid> {
        if !given {
            return Err(Invalid::new(
                "consent_required",
                "the person must have consented to the referral",
            ));
        }
        if given_at > now + time::Duration::minutes(5) {
            return Err(Invalid::new("in_future", "must not be in the future"));
        }
        Ok(Self { given_at, method })
    }
}

/// A referral as received: everything checked, nothing stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReferral {
    pub person: Person,
    pub source: Source,
    pub referrer: Referrer,
    pub reasons: Vec<Reason>,
    pub notes: Option<String>,
    pub urgency: Urgency,
    pub consent: Consent,
}

/// A referral as stored: the checked intake plus what the service assigned to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub id: uuid::Uuid,
    pub organisation: String,
    pub reference: ReferralReference,
    pub person_id: uuid::Uuid,
    pub status: Status,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub details: NewReferral,
}

/// At least one reason, at most one of each; order kept as given.
pub fn reasons(codes: Vec<Reason>) -> Result<Vec<Reason>, Invalid> {
    if codes.is_empty() {
        return Err(Invalid::new("required", "at least one reason is needed"));
    }
    let mut seen = Vec::with_capacity(codes.len());
    for r in codes {
        if seen.contains(&r) {
            return Err(Invalid::new("duplicate", format!("'{r}' is listed twice")));
        }
        seen.push(r);
    }
    Ok(seen)
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn every_allowed_move_is_allowed() {
        let allowed = [
            (Received, Accepted),
            (Received, Declined),
            (Received, Closed),
            (Accepted, Assigned),
            (Accepted, Closed),
            (Assigned, InProgress),
            (Assigned, Closed),
            (InProgress, Closed),
        ];
        for (from, to) in allowed {
            assert_eq!(from.transition(to), Ok(to), "{from} -> {to}");
        }
    }

    #[test]
    fn every_other_move_is_forbidden() {
        let allowed = |f: Status, t: Status| f.next().contains(&t);
        let mut forbidden = 0;
        for from in Status::ALL {
            for to in Status::ALL {
                if !allowed(*from, *to) {
                    assert_eq!(
                        from.transition(*to),
                        Err(IllegalTransition {
                            from: *from,
                            to: *to
                        })
                    );
                    forbidden += 1;
                }
            }
        }
        // 36 pairs, 8 allowed.
        assert_eq!(forbidden, 28);
    }

    #[test]
    fn declined_and_closed_are_final() {
        assert!(Declined.next().is_empty() && Closed.next().is_empty());
        assert!(!Declined.is_open() && !Closed.is_open() && InProgress.is_open());
    }

    #[test]
    fn references_use_only_the_unambiguous_alphabet() {
        for _ in 0..200 {
            let r = ReferralReference::generate();
            assert_eq!(r.as_str().len(), 13, "{r}");
            assert_eq!(ReferralReference::parse(r.as_str()).unwrap(), r);
            assert!(!r.as_str()[4..].contains(['0', 'O', '1', 'I', 'L', '5', 'S', 'U']));
        }
    }

    #[test]
    fn a_reference_read_over_the_phone_is_forgiven_case_and_spaces() {
        let r = ReferralReference::parse("srx 7k3m 9qpd").unwrap();
        assert_eq!(r.as_str(), "SRX-7K3M-9QPD");
        assert!(ReferralReference::parse("SRX-7K3M-9QP0").is_err());
    }

    #[test]
    fn reasons_need_one_and_refuse_repeats() {
        assert!(reasons(vec![]).is_err());
        assert_eq!(
            reasons(vec![Reason::Housing, Reason::Housing])
                .unwrap_err()
                .code,
            "duplicate"
        );
        assert_eq!(
            reasons(vec![Reason::Housing, Reason::Other]).unwrap(),
            vec![Reason::Housing, Reason::Other]
        );
    }

    #[test]
    fn consent_must_be_given_and_not_in_the_future() {
        let now = OffsetDateTime::now_utc();
        assert!(Consent::parse(true, now, ConsentMethod::Verbal, now).is_ok());
        assert_eq!(
            Consent::parse(false, now, ConsentMethod::Verbal, now)
                .unwrap_err()
                .code,
            "consent_required"
        );
        assert!(
            Consent::parse(
                true,
                now + time::Duration::hours(1),
                ConsentMethod::Verbal,
                now
            )
            .is_err()
        );
    }
}
