//! The webhook delivery worker and the signature scheme.
//!
//! A receiver verifies an event by computing HMAC-SHA256 with its secret over
//! `<Socialrx-Timestamp>.<raw body>`, hex-encoding it, comparing it in constant time with
//! the `v1=` value of `Socialrx-Signature`, and refusing timestamps more than five
//! minutes from its clock. [`verify`] does exactly that.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use socialrx_domain::webhook::is_public_receiver_address;
use socialrx_store::{AttemptOutcome, DueDelivery, RetryPolicy, Store};
use time::OffsetDateTime;

type HmacSha256 = Hmac<Sha256>;

pub const SIGNATURE_HEADER: &str = "Socialrx-Signature";
pub const TIMESTAMP_HEADER: &str = "Socialrx-Timestamp";
pub const EVENT_ID_HEADER: &str = "Socialrx-Event-Id";
pub const EVENT_TYPE_HEADER: &str = "Socialrx-Event-Type";

/// `v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("v1={hex}")
}

/// What a receiver does: the signature matches (constant time) and the timestamp is
/// within `tolerance_seconds` of `now`.
pub fn verify(
    secret: &str,
    timestamp: &str,
    body: &str,
    signature: &str,
    now: i64,
    tolerance_seconds: i64,
) -> bool {
    let Ok(ts) = timestamp.trim().parse::<i64>() else {
        return false;
    };
    if (now - ts).abs() > tolerance_seconds {
        return false;
    }
    let Some(hex) = signature.trim().strip_prefix("v1=") else {
        return false;
    };
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let expected: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).unwrap_or(0))
        .collect();
    let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(ts.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.verify_slice(&expected).is_ok()
}

/// How the worker runs.
#[derive(Debug, Clone, Copy)]
pub struct WorkerSettings {
    /// How long to sleep when nothing is due.
    pub poll_interval: Duration,
    /// Per request.
    pub timeout: Duration,
    pub policy: RetryPolicy,
    /// Deliveries claimed per round.
    pub batch: u32,
    /// Post to receivers on loopback, private and other non-public addresses too
    /// (development and tests); otherwise only public ones.
    pub allow_private_receivers: bool,
}

/// Resolves receivers' host names and keeps only their public addresses. The check is on
/// the addresses the connection is then made to, so a name that points somewhere inside
/// the network when the event is posted (whatever it said when it was registered) is
/// refused too.
struct PublicAddressesOnly;

impl reqwest::dns::Resolve for PublicAddressesOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public_receiver_address(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(NOT_PUBLIC.into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

const NOT_PUBLIC: &str = "the receiver's address is not a public one, and only public receivers \
     are posted to (SOCIALRX_WEBHOOK_ALLOW_PRIVATE_RECEIVERS)";

/// The receiver's host when it is an IP address written into the URL, which no resolver
/// sees.
fn literal_ip(url: &str) -> Option<IpAddr> {
    let url = reqwest::Url::parse(url).ok()?;
    let host = url.host_str()?;
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Posts due deliveries forever. Spawn once per process; several processes may run it
/// against one database (claims are leases, so each delivery goes to one worker at a
/// time, and to another if its worker dies).
pub async fn run_worker(store: Arc<dyn Store>, settings: WorkerSettings) {
    let mut builder = reqwest::Client::builder()
        .timeout(settings.timeout)
        // A redirect could lead anywhere, past the address check.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("socialrx-webhooks/1");
    if !settings.allow_private_receivers {
        builder = builder.dns_resolver(Arc::new(PublicAddressesOnly));
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "webhook worker cannot build its HTTP client");
            return;
        }
    };
    let lease = time::Duration::try_from(settings.timeout * 2 + Duration::from_secs(5))
        .unwrap_or(time::Duration::minutes(1));
    loop {
        let now = OffsetDateTime::now_utc();
        let due = match store
            .claim_due_deliveries(now, now + lease, settings.batch)
            .await
        {
            Ok(due) => due,
            Err(e) => {
                tracing::warn!(error = %e, "webhook worker cannot claim deliveries");
                Vec::new()
            }
        };
        let busy = !due.is_empty();
        for delivery in due {
            let outcome = post(&client, &delivery, settings.allow_private_receivers).await;
            if let Err(e) = store
                .record_delivery_attempt(delivery.id, outcome, settings.policy)
                .await
            {
                // The lease runs out and the delivery is tried again: at least once.
                tracing::warn!(error = %e, delivery = %delivery.id, "cannot record a webhook attempt");
            }
        }
        if !busy {
            actix_web::rt::time::sleep(settings.poll_interval).await;
        }
    }
}

async fn post(client: &reqwest::Client, d: &DueDelivery, allow_private: bool) -> AttemptOutcome {
    if !allow_private && literal_ip(&d.url).is_some_and(|ip| !is_public_receiver_address(ip)) {
        tracing::info!(delivery = %d.id, attempt = d.attempts + 1, "webhook receiver address refused");
        return AttemptOutcome::Failed {
            status_code: None,
            error: NOT_PUBLIC.into(),
        };
    }
    let timestamp = OffsetDateTime::now_utc().unix_timestamp();
    let result = client
        .post(&d.url)
        .header("Content-Type", "application/json")
        .header(EVENT_ID_HEADER, d.event_id.to_string())
        .header(EVENT_TYPE_HEADER, &d.event_type)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, sign(&d.secret, timestamp, &d.payload))
        .body(d.payload.clone())
        .send()
        .await;
    match result {
        Ok(r) if r.status().is_success() => {
            tracing::info!(delivery = %d.id, event_type = %d.event_type, status = r.status().as_u16(), "webhook delivered");
            AttemptOutcome::Delivered {
                status_code: r.status().as_u16(),
            }
        }
        Ok(r) => {
            tracing::info!(delivery = %d.id, status = r.status().as_u16(), attempt = d.attempts + 1, "webhook refused");
            AttemptOutcome::Failed {
                status_code: Some(r.status().as_u16()),
                error: format!("the receiver answered {}", r.status()),
            }
        }
        Err(e) => {
            // The URL may carry a token in its query: never log or store it.
            let e = e.without_url();
            // With its causes: "error sending request" alone does not say what to fix.
            let mut error = e.to_string();
            let mut cause = std::error::Error::source(&e);
            while let Some(c) = cause {
                error.push_str(": ");
                error.push_str(&c.to_string());
                cause = c.source();
            }
            tracing::info!(delivery = %d.id, error = %error, attempt = d.attempts + 1, "webhook not delivered");
            AttemptOutcome::Failed {
                status_code: None,
                error,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_matches_the_published_hmac_sha256_recipe() {
        // RFC 4231 test case 2 shape: HMAC-SHA256("Jefe", "what do ya want for nothing?").
        // Here the signed text is "<timestamp>.<body>", so check against an independent
        // computation of the same bytes.
        let mut mac = HmacSha256::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let rfc: String = mac
            .finalize()
            .into_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(
            rfc,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let signature = sign("whsec-0123456789abcdef", 1_700_000_000, "{\"a\":1}");
        assert!(signature.starts_with("v1=") && signature.len() == 67);
    }

    #[test]
    fn verification_accepts_the_real_signature_and_nothing_else() {
        let secret = "whsec-0123456789abcdef";
        let body = "{\"id\":\"x\"}";
        let sig = sign(secret, 1_700_000_000, body);
        assert!(verify(secret, "1700000000", body, &sig, 1_700_000_010, 300));
        assert!(!verify(
            secret,
            "1700000000",
            "{\"id\":\"y\"}",
            &sig,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            "another-secret-123",
            "1700000000",
            body,
            &sig,
            1_700_000_010,
            300
        ));
        assert!(!verify(
            secret,
            "1700000001",
            body,
            &sig,
            1_700_000_010,
            300
        ));
        assert!(
            !verify(secret, "1700000000", body, &sig, 1_700_001_000, 300),
            "too old"
        );
    }
}
