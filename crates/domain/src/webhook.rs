//! Webhook events: what an organisation can subscribe to, and which referral moves and
//! records raise which event. Payloads carry ids and codes only, never free text.

use crate::code_list;
use crate::referral::Status;
use crate::violations::Invalid;

code_list!(
    /// An event a webhook subscription can ask for.
    EventType {
        ReferralAccepted => "referral.accepted",
        ReferralDeclined => "referral.declined",
        ReferralAssigned => "referral.assigned",
        ReferralClosed => "referral.closed",
        OutcomeRecorded => "outcome.recorded",
    }
);

code_list!(
    /// Where a delivery stands.
    DeliveryStatus {
        Pending => "pending",
        Delivered => "delivered",
        Failed => "failed",
    }
);

/// SNOMED CT: "Referral to social prescribing service" (procedure).
pub const SNOMED_REFERRAL_TO_SOCIAL_PRESCRIBING: &str = "871731000000106";
/// SNOMED CT: "Social prescribing declined" (situation).
pub const SNOMED_SOCIAL_PRESCRIBING_DECLINED: &str = "871711000000103";

impl EventType {
    /// The event a referral's move into `to` raises, if any.
    pub fn for_transition(to: Status) -> Option<EventType> {
        match to {
            Status::Accepted => Some(EventType::ReferralAccepted),
            Status::Declined => Some(EventType::ReferralDeclined),
            Status::Assigned => Some(EventType::ReferralAssigned),
            Status::Closed => Some(EventType::ReferralClosed),
            Status::Received | Status::InProgress => None,
        }
    }

    /// The SNOMED CT code a GP system records for this event, where one applies.
    pub fn snomed_ct(self) -> Option<&'static str> {
        match self {
            EventType::ReferralAccepted => Some(SNOMED_REFERRAL_TO_SOCIAL_PRESCRIBING),
            EventType::ReferralDeclined => Some(SNOMED_SOCIAL_PRESCRIBING_DECLINED),
            _ => None,
        }
    }
}

/// Subscribed event types: at least one, none twice.
pub fn event_types(types: Vec<EventType>) -> Result<Vec<EventType>, Invalid> {
    if types.is_empty() {
        return Err(Invalid::new(
            "required",
            "at least one event type is needed",
        ));
    }
    let mut out: Vec<EventType> = Vec::with_capacity(types.len());
    for t in types {
        if out.contains(&t) {
            return Err(Invalid::new("duplicate", format!("'{t}' is listed twice")));
        }
        out.push(t);
    }
    Ok(out)
}

/// A receiver URL: `http://` or `https://`, at most 2000 characters, no spaces or
/// control characters, and no user information (secrets go in the signing secret).
pub fn receiver_url(raw: &str) -> Result<String, Invalid> {
    let url = raw.trim();
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let Some(rest) = rest else {
        return Err(Invalid::new(
            "url_scheme",
            "must start with https:// or http://",
        ));
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if url.len() > 2000 {
        return Err(Invalid::new("too_long", "must be at most 2000 characters"));
    }
    if host.is_empty()
        || host.contains('@')
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Invalid::new(
            "url_format",
            "must be an absolute URL with a host and no credentials",
        ));
    }
    Ok(url.to_owned())
}

/// A signing secret: 16 to 200 visible ASCII characters.
pub fn signing_secret(raw: &str) -> Result<String, Invalid> {
    let ok = (16..=200).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
    if ok {
        Ok(raw.to_owned())
    } else {
        Err(Invalid::new(
            "secret_format",
            "must be 16 to 200 visible ASCII characters",
        ))
    }
}

/// The wait before retry `attempt` (1-based): `base * 2^(attempt-1)`, at most an hour.
pub fn backoff_seconds(base: u64, attempt: u32) -> u64 {
    let factor = 1u64
        .checked_shl(attempt.saturating_sub(1).min(30))
        .unwrap_or(u64::MAX);
    base.saturating_mul(factor).min(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acceptance_and_decline_carry_their_snomed_codes() {
        assert_eq!(
            EventType::for_transition(Status::Accepted).and_then(EventType::snomed_ct),
            Some("871731000000106")
        );
        assert_eq!(
            EventType::for_transition(Status::Declined).and_then(EventType::snomed_ct),
            Some("871711000000103")
        );
        assert_eq!(EventType::ReferralClosed.snomed_ct(), None);
        assert_eq!(EventType::for_transition(Status::InProgress), None);
    }

    #[test]
    fn backoff_doubles_and_stops_at_an_hour() {
        assert_eq!(
            (1..=4).map(|a| backoff_seconds(5, a)).collect::<Vec<_>>(),
            vec![5, 10, 20, 40]
        );
        assert_eq!(backoff_seconds(5, 40), 3600);
    }

    #[test]
    fn receiver_urls_must_be_http_without_credentials() {
        assert!(receiver_url("https://gp.example.nhs.uk/hooks").is_ok());
        assert!(receiver_url("ftp://x").is_err());
        assert!(receiver_url("https://user:pw@x/").is_err());
        assert!(receiver_url("https://").is_err());
    }

    #[test]
    fn secrets_are_long_enough_and_printable() {
        assert!(signing_secret("0123456789abcdef").is_ok());
        assert!(signing_secret("short").is_err());
        assert!(signing_secret("0123456789abcdef\n").is_err());
    }
}
