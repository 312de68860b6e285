//! Rate limits of the public self-referral route, per client network and per partner, in
//! two layers:
//!
//! - in-process token buckets ([`RateLimiter`]), which turn a flood away before it costs
//!   a database write;
//! - a count per minute in the database ([`shared_check`]), which every instance of the
//!   service shares, so that N instances behind a load balancer still allow the limit once,
//!   not N times. The stateless API tier keeps no state of its own that matters.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use uuid::Uuid;

/// Requests per minute allowed on `POST /v1/self-referrals`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// From one client IP address (IPv6: one /64 network).
    pub per_ip_per_minute: u32,
    /// For one partner key, from all clients together.
    pub per_partner_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 10,
            per_partner_per_minute: 100,
        }
    }
}

/// The buckets of the self-referral route, shared by all workers.
pub struct SelfReferralLimits {
    pub per_ip: RateLimiter<IpAddr>,
    pub per_partner: RateLimiter<Uuid>,
    pub limits: RateLimits,
}

impl SelfReferralLimits {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            per_ip: RateLimiter::per_minute(limits.per_ip_per_minute),
            per_partner: RateLimiter::per_minute(limits.per_partner_per_minute),
            limits,
        }
    }
}

/// The database bucket of a client network: a hash, so that the table never holds an
/// address (an IP address is personal data).
pub fn network_bucket(ip: IpAddr) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("socialrx-self-referral:{}", client_key(ip)).as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("net:{hex}")
}

/// The database bucket of a partner.
pub fn partner_bucket(partner: Uuid) -> String {
    format!("partner:{partner}")
}

/// The minute `unix_seconds` falls in, and the seconds left of it (at least one).
pub fn minute_window(unix_seconds: i64) -> (i64, u64) {
    let window = unix_seconds.div_euclid(60);
    let left = 60 - unix_seconds.rem_euclid(60);
    (window, left.max(1) as u64)
}

/// Counts a hit on `bucket` in the database for this minute; `Err(seconds)` to wait when
/// the minute's hits, across every instance, are over `per_minute`.
pub async fn shared_check(
    store: &dyn socialrx_store::Store,
    bucket: String,
    per_minute: u32,
) -> Result<Result<(), u64>, socialrx_store::StoreError> {
    let (window, left) = minute_window(time::OffsetDateTime::now_utc().unix_timestamp());
    let hits = store.count_rate_limit_hits(&[bucket], window).await?;
    Ok(if hits.first().copied().unwrap_or(0) > per_minute.max(1) {
        Err(left)
    } else {
        Ok(())
    })
}

impl Default for SelfReferralLimits {
    fn default() -> Self {
        Self::new(RateLimits::default())
    }
}

/// The key a client IP is limited by: the address itself, or for IPv6 its /64 network
/// (one household or host commonly holds a whole /64).
pub fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

/// A keyed token bucket: each key may spend `capacity` requests at once, refilled
/// evenly over a minute.
pub struct RateLimiter<K> {
    capacity: f64,
    per_second: f64,
    buckets: Mutex<HashMap<K, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Beyond this many keys, buckets that have refilled (and so say nothing) are dropped.
const PRUNE_ABOVE: usize = 10_000;

impl<K: Hash + Eq + Clone> RateLimiter<K> {
    /// `n` requests a minute (at least one), with bursts of up to `n`.
    pub fn per_minute(n: u32) -> Self {
        let n = f64::from(n.max(1));
        Self {
            capacity: n,
            per_second: n / 60.0,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Spends one request for `key`, or says how long until one is available.
    pub fn check(&self, key: &K) -> Result<(), Duration> {
        self.check_at(key, Instant::now())
    }

    pub fn check_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() > PRUNE_ABOVE {
            self.prune(&mut buckets, now);
        }
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            tokens: self.capacity,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.capacity);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }

    fn prune(&self, buckets: &mut HashMap<K, Bucket>, now: Instant) {
        buckets.retain(|_, b| {
            let elapsed = now.saturating_duration_since(b.at).as_secs_f64();
            b.tokens + elapsed * self.per_second < self.capacity
        });
        // Still too many keys all spending at once (a distributed flood): forget them
        // rather than grow without bound; the limit is lenient for a moment, not absent.
        if buckets.len() > PRUNE_ABOVE {
            buckets.clear();
        }
    }
}

#[cfg(test)]
mod window_tests {
    use super::*;

    #[test]
    fn a_minute_window_says_how_long_is_left_of_it() {
        assert_eq!(minute_window(120), (2, 60));
        assert_eq!(minute_window(179), (2, 1));
        assert_eq!(minute_window(-1), (-1, 1));
    }

    #[test]
    fn a_network_bucket_is_a_hash_of_the_network_not_the_address() {
        let a = network_bucket("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = network_bucket("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(a, b, "one /64");
        assert!(!a.contains("2001"));
        assert_ne!(a, network_bucket("192.0.2.1".parse().unwrap()));
    }
}

/// Whole seconds to wait, as `Retry-After` says it: rounded up, at least one.
pub fn retry_after_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_up_to_the_limit_passes_and_the_next_request_waits() {
        let limiter = RateLimiter::per_minute(3);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check_at(&"a", t0).is_ok());
        }
        let wait = limiter.check_at(&"a", t0).unwrap_err();
        assert_eq!(retry_after_seconds(wait), 20, "one request every 20 s");
    }

    #[test]
    fn tokens_come_back_evenly_over_the_minute() {
        let limiter = RateLimiter::per_minute(6);
        let t0 = Instant::now();
        for _ in 0..6 {
            limiter.check_at(&"a", t0).unwrap();
        }
        assert!(limiter.check_at(&"a", t0 + Duration::from_secs(9)).is_err());
        assert!(
            limiter
                .check_at(&"a", t0 + Duration::from_millis(10_500))
                .is_ok()
        );
        assert!(
            limiter
                .check_at(&"a", t0 + Duration::from_secs(11))
                .is_err()
        );
    }

    #[test]
    fn keys_have_their_own_buckets() {
        let limiter = RateLimiter::per_minute(1);
        let t0 = Instant::now();
        assert!(limiter.check_at(&"a", t0).is_ok());
        assert!(limiter.check_at(&"a", t0).is_err());
        assert!(limiter.check_at(&"b", t0).is_ok());
    }

    #[test]
    fn a_waiting_time_rounds_up_to_whole_seconds() {
        assert_eq!(retry_after_seconds(Duration::from_millis(1)), 1);
        assert_eq!(retry_after_seconds(Duration::from_millis(5_001)), 6);
        assert_eq!(retry_after_seconds(Duration::ZERO), 1);
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::2".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(client_key(mapped), "192.0.2.1".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn refilled_buckets_are_forgotten_when_there_are_many() {
        let limiter = RateLimiter::per_minute(60);
        let t0 = Instant::now();
        for i in 0..=PRUNE_ABOVE {
            limiter.check_at(&i, t0).unwrap();
        }
        limiter
            .check_at(&usize::MAX, t0 + Duration::from_secs(2))
            .unwrap();
        assert_eq!(limiter.buckets.lock().unwrap().len(), 1);
    }
}
