//! The request and response bodies of `/v1/referrals/{id}/risks` (PRSB "Risks" and
//! "Safeguarding"), and their checks: shape here, the rules in `domain::risk`.

use serde::{Deserialize, Serialize};
use socialrx_domain::risk::{self, Concern, Risk, Risks, StoredRisks};
use socialrx_domain::snomed::ConceptId;
use socialrx_domain::{FieldError, Violations, text};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

use socialrx_domain::when::parse_date;

/// A risk to the person or others: a SNOMED CT code (a finding of at risk), a
/// description, or both.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiskEntry {
    /// SNOMED CT concept id (e.g. a descendant of 281694009 |Finding of at risk|).
    #[schema(max_length = 18, pattern = r"^\s*[1-9][0-9]{5,17}\s*$")]
    pub code: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub description: Option<String>,
    /// At most 150 characters.
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub comment: Option<String>,
    /// `YYYY-MM-DD`.
    #[schema(format = Date, max_length = 10)]
    pub started_on: Option<String>,
    /// `YYYY-MM-DD`, not before `started_on`.
    #[schema(format = Date, max_length = 10)]
    pub ended_on: Option<String>,
}

/// A safeguarding concern: a SNOMED CT code (safeguarding issues), a description, or both.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcernEntry {
    #[schema(max_length = 18, pattern = r"^\s*[1-9][0-9]{5,17}\s*$")]
    pub code: Option<String>,
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub description: Option<String>,
    #[schema(max_length = 150, pattern = r"^[^\x00-\x1f\x7f-\x9f]*$")]
    pub comment: Option<String>,
    #[schema(format = Date, max_length = 10)]
    pub identified_on: Option<String>,
    #[schema(format = Date, max_length = 10)]
    pub ended_on: Option<String>,
}

/// The whole record of risks and safeguarding, as it should be from now on.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "no_known_risks": false,
    "risks": [{"description": "Falls at home", "comment": "Uses a stick outdoors", "started_on": "2026-10-01"}],
    "safeguarding": []
}))]
pub struct RisksRequest {
    /// "No known risks", said in so many words; then `risks` must be empty.
    #[serde(default)]
    pub no_known_risks: bool,
    /// At least one unless `no_known_risks`; at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub risks: Vec<RiskEntry>,
    /// At most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub safeguarding: Vec<ConcernEntry>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "referral_id": "019a9f6e-2b1c-7d40-9a51-3c2f1e0d4b7a", "no_known_risks": false,
    "risks": [{"code": null, "description": "Falls at home", "comment": "Uses a stick outdoors", "started_on": "2026-10-01", "ended_on": null}],
    "safeguarding": [], "updated_by": "idp|sam.taylor", "updated_at": "2026-11-23T10:31:00Z"
}))]
pub struct RisksResponse {
    pub referral_id: Uuid,
    pub no_known_risks: bool,
    pub risks: Vec<RiskEntry>,
    pub safeguarding: Vec<ConcernEntry>,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

/// One entry's common fields, checked: code, description, comment, period.
struct Entry {
    code: Option<ConceptId>,
    description: Option<String>,
    comment: Option<String>,
    from: Option<time::Date>,
    to: Option<time::Date>,
}

#[allow(clippy::too_many_arguments)]
fn entry(
    v: &mut Violations,
    at: &str,
    code: Option<&str>,
    description: Option<&str>,
    comment: Option<&str>,
    (from_name, from): (&str, Option<&str>),
    to: Option<&str>,
) -> Option<Entry> {
    let code = v.check_opt(&format!("{at}.code"), code, ConceptId::parse);
    let description = v
        .check_opt(&format!("{at}.description"), description, |d| {
            text::optional_label(d, risk::TEXT)
        })
        .map(Option::flatten);
    let comment = v
        .check_opt(&format!("{at}.comment"), comment, |c| {
            text::optional_label(c, risk::TEXT)
        })
        .map(Option::flatten);
    let from = v.check_opt(&format!("{at}.{from_name}"), from, parse_date);
    let to = v.check_opt(&format!("{at}.ended_on"), to, parse_date);
    if let (Some(code), Some(description)) = (&code, &description) {
        v.check(at, risk::check_entry(code.as_ref(), description.as_deref()));
    }
    if let (Some(from), Some(to)) = (from, to) {
        v.check(&format!("{at}.ended_on"), risk::check_period(from, to));
    }
    Some(Entry {
        code: code?,
        description: description?,
        comment: comment?,
        from: from?,
        to: to?,
    })
}

impl RisksRequest {
    pub(super) fn into_domain(self) -> Result<Risks, Vec<FieldError>> {
        let mut v = Violations::new();
        v.check("risks", Risks::check(self.no_known_risks, self.risks.len()));
        if self.safeguarding.len() > risk::MAX_ENTRIES {
            v.push(FieldError::new(
                "safeguarding",
                "too_many",
                format!("must have at most {} entries", risk::MAX_ENTRIES),
            ));
        }
        let mut risks = Vec::new();
        for (i, r) in self.risks.iter().enumerate() {
            if let Some(e) = entry(
                &mut v,
                &format!("risks[{i}]"),
                r.code.as_deref(),
                r.description.as_deref(),
                r.comment.as_deref(),
                ("started_on", r.started_on.as_deref()),
                r.ended_on.as_deref(),
            ) {
                risks.push(Risk {
                    code: e.code,
                    description: e.description,
                    comment: e.comment,
                    started_on: e.from,
                    ended_on: e.to,
                });
            }
        }
        let mut safeguarding = Vec::new();
        for (i, c) in self.safeguarding.iter().enumerate() {
            if let Some(e) = entry(
                &mut v,
                &format!("safeguarding[{i}]"),
                c.code.as_deref(),
                c.description.as_deref(),
                c.comment.as_deref(),
                ("identified_on", c.identified_on.as_deref()),
                c.ended_on.as_deref(),
            ) {
                safeguarding.push(Concern {
                    code: e.code,
                    description: e.description,
                    comment: e.comment,
                    identified_on: e.from,
                    ended_on: e.to,
                });
            }
        }
        v.finish(|| {
            Some(Risks {
                no_known_risks: self.no_known_risks,
                risks,
                safeguarding,
            })
        })
    }
}

pub(super) fn risk_entry(r: &Risk) -> RiskEntry {
    RiskEntry {
        code: r.code.as_ref().map(|c| c.to_string()),
        description: r.description.clone(),
        comment: r.comment.clone(),
        started_on: r.started_on.map(|d| d.to_string()),
        ended_on: r.ended_on.map(|d| d.to_string()),
    }
}

pub(super) fn concern_entry(c: &Concern) -> ConcernEntry {
    ConcernEntry {
        code: c.code.as_ref().map(|c| c.to_string()),
        description: c.description.clone(),
        comment: c.comment.clone(),
        identified_on: c.identified_on.map(|d| d.to_string()),
        ended_on: c.ended_on.map(|d| d.to_string()),
    }
}

impl From<StoredRisks> for RisksResponse {
    fn from(s: StoredRisks) -> Self {
        Self {
            referral_id: s.referral_id,
            no_known_risks: s.risks.no_known_risks,
            risks: s.risks.risks.iter().map(risk_entry).collect(),
            safeguarding: s.risks.safeguarding.iter().map(concern_entry).collect(),
            updated_by: s.updated_by,
            updated_at: s.updated_at,
        }
    }
}
