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
        SummaryAvailable => "referral.summary_available",
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
    // Characters, as the spec's maxLength counts.
    if url.chars().count() > 2000 {
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

/// May a webhook be posted to this address? Only to public unicast addresses: never to
/// this machine, the private networks around it, link-local addresses (cloud metadata
/// services answer on 169.254.169.254) or anything the IANA special-purpose registries
/// (RFC 6890) set aside. Otherwise an organisation's admin could make the service send
/// requests into the network it runs in.
pub fn is_public_receiver_address(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_unspecified()
                || v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0 // "this network" (RFC 791)
                || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
                || (a == 192 && b == 0 && v4.octets()[2] == 0) // IETF protocol assignments
                || (a == 198 && (b == 18 || b == 19)) // benchmarking (RFC 2544)
                || a >= 240) // reserved (RFC 1112)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public_receiver_address(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation (RFC 3849)
                || first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64 (RFC 6052)
        }
    }
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

    #[test]
    fn receivers_must_be_public_unicast_addresses() {
        use std::net::IpAddr;
        let public = |s: &str| is_public_receiver_address(s.parse::<IpAddr>().unwrap());
        // Public: a GOV.UK address, Cloudflare's resolver, Google's IPv6 resolver.
        for ip in ["151.101.0.144", "1.1.1.1", "2001:4860:4860::8888"] {
            assert!(public(ip), "{ip} is public");
        }
        // RFC 6890 special-purpose blocks, one address from each.
        for ip in [
            "0.0.0.0",
            "0.1.2.3",
            "10.0.0.1",
            "100.64.0.1",
            "127.0.0.1",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.51.100.7",
            "203.0.113.9",
            "224.0.0.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.1.2.3",
            "64:ff9b::a00:1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
        ] {
            assert!(!public(ip), "{ip} is not public");
        }
        // Just outside the private and shared blocks.
        assert!(public("172.32.0.1"));
        assert!(public("100.128.0.1"));
    }
}
