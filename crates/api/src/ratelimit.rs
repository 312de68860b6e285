//! Token buckets for the public self-referral route: one per client IP, one per partner.
//!
//! In-process: each instance keeps its own buckets, so behind a load balancer with N
//! instances a client gets up to N times the limit. A deployment with several instances
//! needs a shared limiter as well (at the load balancer, or in PostgreSQL or Redis).

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
}

impl SelfReferralLimits {
    pub fn new(limits: RateLimits) -> Self {
        Self {
            per_ip: RateLimiter::per_minute(limits.per_ip_per_minute),
            per_partner: RateLimiter::per_minute(limits.per_partner_per_minute),
        }
    }
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
