//! Referrals: who they are for, who sent them and why, and the lifecycle they follow.

use std::fmt;

use rand::Rng;
use time::OffsetDateTime;

use crate::person::Person;
use crate::violations::Invalid;
use crate::{FieldError, OdsCode, Violations, code_list, limits, text};

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

impl Source {
    /// A referral from a GP practice (a GP or a practice nurse).
    pub fn is_gp_practice(self) -> bool {
        matches!(self, Source::Gp | Source::PracticeNurse)
    }

    /// A GP practice always holds the person's NHS number, so its referrals must carry
    /// it; other referrers often do not know it.
    pub fn requires_nhs_number(self) -> bool {
        self.is_gp_practice()
    }
}

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
        // Merged into another referral for the same person.
        Duplicate => "duplicate",
        Other => "other",
    }
);

code_list!(
    /// Why a referral was declined at triage.
    DeclineReason {
        NotEligible => "not_eligible",
        OutOfArea => "out_of_area",
        NeedsClinicalCare => "needs_clinical_care",
        BetterMetElsewhere => "better_met_elsewhere",
        DeclinedByPerson => "declined_by_person",
        Duplicate => "duplicate",
        Other => "other",
    }
);

/// How a referral comes to be in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// `received`: where every referral starts.
    Intake,
    /// `accepted`, `declined`, `closed`: a decision posted as a transition.
    Decision,
    /// `assigned`: assigning a link worker.
    Assignment,
    /// `in_progress`: recording the first contact.
    FirstContact,
}

impl Status {
    /// What moves a referral into this state.
    pub fn reached_by(self) -> Trigger {
        match self {
            Status::Received => Trigger::Intake,
            Status::Accepted | Status::Declined | Status::Closed => Trigger::Decision,
            Status::Assigned => Trigger::Assignment,
            Status::InProgress => Trigger::FirstContact,
        }
    }

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

    /// Contacts are recorded once a link worker holds the case: `assigned` (the first
    /// contact moves it on) or `in_progress`.
    pub fn takes_contacts(self) -> bool {
        matches!(self, Status::Assigned | Status::InProgress)
    }

    /// What assigning a link worker does in this state: an accepted referral becomes
    /// `assigned`; an assigned or in-progress one passes to another worker and keeps its
    /// state (the work already done stands). Any other state refuses an assignment.
    pub fn assignment(self) -> Result<AssignmentMove, Status> {
        match self {
            Status::Accepted => Ok(AssignmentMove::Assign),
            Status::Assigned | Status::InProgress => Ok(AssignmentMove::Reassign),
            other => Err(other),
        }
    }
}

/// See [`Status::assignment`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssignmentMove {
    /// The first link worker: `accepted -> assigned`.
    Assign,
    /// Another link worker; the state stays.
    Reassign,
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
    /// What the PRSB standard adds: method, reason in words, reply-to, consent to share.
    pub particulars: crate::particulars::Particulars,
}

/// A referral as stored: the checked intake plus what the service assigned to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Referral {
    pub id: uuid::Uuid,
    /// The receiving service: the organisation holding the referral and its person.
    pub organisation: String,
    /// The organisation that sent it (the token's `org` at intake); the same as
    /// `organisation` when a service records a referral itself.
    pub referrer_organisation: String,
    pub reference: ReferralReference,
    pub person_id: uuid::Uuid,
    pub status: Status,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub details: NewReferral,
    /// The link worker it is assigned to, from assignment on (kept after closure).
    pub link_worker_id: Option<uuid::Uuid>,
    /// Open referrals of the organisation that may be for the same person, flagged at
    /// intake and not yet merged or dismissed.
    pub possible_duplicates: Vec<uuid::Uuid>,
}

/// Why a referral moved, where the move needs a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoveReason {
    Declined(DeclineReason),
    Closed(ClosureReason),
}

impl MoveReason {
    /// Reads a reason for a move to `to`: a [`DeclineReason`] for `declined`, a
    /// [`ClosureReason`] for `closed`; other moves take none.
    pub fn parse_for(to: Status, raw: &str) -> Result<MoveReason, Invalid> {
        match to {
            Status::Declined => DeclineReason::parse(raw).map(MoveReason::Declined),
            Status::Closed => ClosureReason::parse(raw).map(MoveReason::Closed),
            _ => Err(Invalid::new(
                "not_applicable",
                format!("is only given when moving to declined or closed, not to '{to}'"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MoveReason::Declined(r) => r.as_str(),
            MoveReason::Closed(r) => r.as_str(),
        }
    }

    fn is_other(self) -> bool {
        matches!(
            self,
            MoveReason::Declined(DeclineReason::Other) | MoveReason::Closed(ClosureReason::Other)
        )
    }
}

/// A decision to move a referral, checked for everything except its current state (which
/// only the store knows; [`Status::transition`] checks that).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub to: Status,
    pub reason: Option<MoveReason>,
    pub note: Option<String>,
}

impl Move {
    /// A move asked for directly: `accepted`, `declined` (with a [`DeclineReason`]) or
    /// `closed` (with a [`ClosureReason`]). `assigned` and `in_progress` are reached by
    /// assigning a link worker and recording the first contact; `received` only at intake.
    /// A reason of `other` needs a note saying what it was.
    pub fn decided(
        to: Status,
        reason: Option<&str>,
        note: Option<String>,
    ) -> Result<Move, Vec<FieldError>> {
        let mut v = Violations::new();
        match to.reached_by() {
            Trigger::Decision => {}
            Trigger::Assignment => v.push(FieldError::new(
                "to",
                "not_by_transition",
                "a referral is assigned by POST /v1/referrals/{id}/assignment",
            )),
            Trigger::FirstContact => v.push(FieldError::new(
                "to",
                "not_by_transition",
                "a referral moves to in_progress when its first contact is recorded",
            )),
            Trigger::Intake => v.push(FieldError::new(
                "to",
                "not_by_transition",
                "every referral starts as received and cannot return to it",
            )),
        }
        let reason = match reason {
            Some(raw) => v.check("reason", MoveReason::parse_for(to, raw)).map(Some),
            None if matches!(to, Status::Declined | Status::Closed) => {
                let list = if to == Status::Declined {
                    DeclineReason::CODES
                } else {
                    ClosureReason::CODES
                };
                v.push(FieldError::new(
                    "reason",
                    "required",
                    format!("is required to move to '{to}': one of {}", list.join(", ")),
                ));
                None
            }
            None => Some(None),
        };
        let note = v
            .check_opt("note", note, |n| text::free_text(&n, limits::NOTES))
            .map(Option::flatten);
        if let (Some(Some(r)), Some(None)) = (reason, &note)
            && r.is_other()
        {
            v.push(FieldError::new(
                "note",
                "required",
                "is required when the reason is 'other'",
            ));
        }
        v.finish(|| {
            Some(Move {
                to,
                reason: reason?,
                note: note?,
            })
        })
    }
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

    #[test]
    fn only_practice_referrals_must_carry_an_nhs_number() {
        let required: Vec<Source> = Source::ALL
            .iter()
            .copied()
            .filter(|s| s.requires_nhs_number())
            .collect();
        assert_eq!(required, vec![Source::Gp, Source::PracticeNurse]);
    }

    use super::*;

    #[test]
    fn only_an_accepted_or_open_assigned_referral_takes_a_link_worker() {
        assert_eq!(Status::Accepted.assignment(), Ok(AssignmentMove::Assign));
        assert_eq!(Status::Assigned.assignment(), Ok(AssignmentMove::Reassign));
        assert_eq!(
            Status::InProgress.assignment(),
            Ok(AssignmentMove::Reassign)
        );
        for refused in [Status::Received, Status::Declined, Status::Closed] {
            assert_eq!(refused.assignment(), Err(refused));
        }
        assert!(Status::Assigned.takes_contacts() && Status::InProgress.takes_contacts());
        for not_yet in [
            Status::Received,
            Status::Accepted,
            Status::Declined,
            Status::Closed,
        ] {
            assert!(!not_yet.takes_contacts(), "{not_yet}");
        }
        // Assign is the state machine's own move.
        assert_eq!(
            Status::Accepted.transition(Status::Assigned),
            Ok(Status::Assigned)
        );
    }
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
    fn every_state_is_reached_by_exactly_one_trigger() {
        assert_eq!(Received.reached_by(), Trigger::Intake);
        assert_eq!(Assigned.reached_by(), Trigger::Assignment);
        assert_eq!(InProgress.reached_by(), Trigger::FirstContact);
        for s in [Accepted, Declined, Closed] {
            assert_eq!(s.reached_by(), Trigger::Decision, "{s}");
        }
    }

    #[test]
    fn accepting_needs_no_reason_and_refuses_one() {
        assert_eq!(
            Move::decided(Accepted, None, None).unwrap(),
            Move {
                to: Accepted,
                reason: None,
                note: None
            }
        );
        let e = Move::decided(Accepted, Some("goals_met"), None).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code),
            ("reason", "not_applicable")
        );
    }

    #[test]
    fn declining_needs_a_decline_reason() {
        let e = Move::decided(Declined, None, None).unwrap_err();
        assert_eq!((e[0].field.as_str(), e[0].code), ("reason", "required"));
        assert!(e[0].message.contains("out_of_area"), "{}", e[0].message);
        let e = Move::decided(Declined, Some("goals_met"), None).unwrap_err();
        assert_eq!(e[0].code, "not_in_list");
        let m = Move::decided(
            Declined,
            Some("out_of_area"),
            Some("  Lives in Leeds ".into()),
        )
        .unwrap();
        assert_eq!(
            m.reason,
            Some(MoveReason::Declined(DeclineReason::OutOfArea))
        );
        assert_eq!(m.note.as_deref(), Some("Lives in Leeds"));
    }

    #[test]
    fn closing_needs_a_closure_reason_from_the_list() {
        assert_eq!(
            Move::decided(Closed, None, None).unwrap_err()[0].code,
            "required"
        );
        assert_eq!(
            Move::decided(Closed, Some("out_of_area"), None).unwrap_err()[0].code,
            "not_in_list"
        );
        assert_eq!(
            Move::decided(Closed, Some("goals_met"), None)
                .unwrap()
                .reason,
            Some(MoveReason::Closed(ClosureReason::GoalsMet))
        );
    }

    #[test]
    fn a_reason_of_other_needs_a_note() {
        for to in [Declined, Closed] {
            let e = Move::decided(to, Some("other"), Some("  ".into())).unwrap_err();
            assert_eq!((e[0].field.as_str(), e[0].code), ("note", "required"));
            assert!(Move::decided(to, Some("other"), Some("Moved abroad".into())).is_ok());
        }
    }

    #[test]
    fn assignment_first_contact_and_intake_states_are_not_posted_as_transitions() {
        for to in [Received, Assigned, InProgress] {
            let e = Move::decided(to, None, None).unwrap_err();
            assert_eq!(
                (e[0].field.as_str(), e[0].code),
                ("to", "not_by_transition")
            );
        }
    }

    #[test]
    fn a_note_is_bounded_free_text() {
        let e = Move::decided(Accepted, None, Some("a\0b".into())).unwrap_err();
        assert_eq!(
            (e[0].field.as_str(), e[0].code),
            ("note", "control_characters")
        );
        let e = Move::decided(Accepted, None, Some("x".repeat(4001))).unwrap_err();
        assert_eq!(e[0].code, "too_long");
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
