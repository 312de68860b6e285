//! The request and response bodies of `/v1/referrals/{id}/message-back`: the link
//! worker's part of the message to the GP and the referrer.

use serde::{Deserialize, Serialize};
use socialrx_domain::message_back::{self, MessageBack, StoredMessageBack};
use socialrx_domain::{FieldError, Violations, text};
use time::OffsetDateTime;
use utoipa::ToSchema;
use uuid::Uuid;

/// What the link worker writes for the GP and the referrer.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({
    "summary": "Margaret was finding mornings hard. With a supported first visit she now goes to the local history group every week and volunteers in its oral history project.",
    "actions_for_professionals": null,
    "actions_for_person": "Keep going to the group; arrange the sitter for Thursdays.",
    "agreed_with_person": true
}))]
pub struct MessageBackRequest {
    /// The link worker's summary of the work ("Clinical summary"). At most 4000.
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub summary: Option<String>,
    /// What the GP or other professionals are asked to do. Absent: "No actions required".
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub actions_for_professionals: Option<String>,
    /// What the person or their carer will do. Absent: "No actions required".
    #[schema(
        max_length = 4000,
        pattern = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*$"
    )]
    pub actions_for_person: Option<String>,
    /// Whether the person (or their legitimate representative) agreed the plan.
    pub agreed_with_person: Option<bool>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MessageBackResponse {
    pub referral_id: Uuid,
    pub summary: Option<String>,
    /// Never blank: "No actions required" when none were written.
    pub actions_for_professionals: String,
    pub actions_for_person: String,
    pub agreed_with_person: Option<bool>,
    pub updated_by: String,
    #[serde(with = "time::serde::rfc3339")]
    #[schema(value_type = String, format = DateTime)]
    pub updated_at: OffsetDateTime,
}

impl MessageBackRequest {
    pub(super) fn into_domain(self) -> Result<MessageBack, Vec<FieldError>> {
        let mut v = Violations::new();
        let mut long = |field: &str, value: Option<String>| {
            v.check_opt(field, value, |t| text::free_text(&t, message_back::TEXT))
                .map(Option::flatten)
        };
        let summary = long("summary", self.summary);
        let professionals = long("actions_for_professionals", self.actions_for_professionals);
        let person = long("actions_for_person", self.actions_for_person);
        v.finish(|| {
            Some(MessageBack {
                summary: summary?,
                actions_for_professionals: professionals?,
                actions_for_person: person?,
                agreed_with_person: self.agreed_with_person,
            })
        })
    }
}

impl From<StoredMessageBack> for MessageBackResponse {
    fn from(s: StoredMessageBack) -> Self {
        Self {
            referral_id: s.referral_id,
            actions_for_professionals: s.message.professional_actions_or_none().to_owned(),
            actions_for_person: s.message.person_actions_or_none().to_owned(),
            summary: s.message.summary,
            agreed_with_person: s.message.agreed_with_person,
            updated_by: s.updated_by,
            updated_at: s.updated_at,
        }
    }
}
