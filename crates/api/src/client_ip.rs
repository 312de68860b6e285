//! The caller's address, for audit events and per-address rate limits.
//!
//! The connection's peer is the caller unless it is one of the reverse proxies the
//! operator trusts (`SOCIALRX_TRUSTED_PROXIES`). Then the caller is found in
//! `X-Forwarded-For` by walking it from the right, past every trusted proxy: entries
//! left of the first untrusted one were written by whoever sent the request and prove
//! nothing, so a client cannot choose its own address (and escape its rate limit) by
//! sending the header itself.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed; none by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated addresses or CIDR blocks (`10.0.0.0/8, 192.0.2.7`); an entry that
    /// is neither is returned as the error.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for entry in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let net = entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| entry.to_owned())?;
            nets.push(net);
        }
        Ok(Self(nets))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The caller's address given the connection's `peer` and the `X-Forwarded-For`
    /// header values in the order received.
    pub fn client(&self, peer: IpAddr, forwarded_for: &[&str]) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops = forwarded_for
            .iter()
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .rev();
        let mut client = peer;
        for hop in hops {
            match hop.parse::<IpAddr>() {
                Ok(ip) => {
                    client = ip;
                    if !self.trusts(ip) {
                        break;
                    }
                }
                // Not an address: nothing further left can be believed.
                Err(_) => break,
            }
        }
        client
    }
}

/// The caller's address for `req`: its peer, or what the trusted proxies in front of it
/// say (see [`TrustedProxies`]).
pub fn of(req: &HttpRequest) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let Some(trusted) = req.app_data::<actix_web::web::Data<TrustedProxies>>() else {
        return Some(peer);
    };
    let values: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(trusted.client(peer, &values))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_caller_whatever_the_header_says() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), &["198.51.100.1"]),
            ip("203.0.113.9")
        );
        let proxy = TrustedProxies::parse("10.0.0.0/8").unwrap();
        // A peer that is not a trusted proxy cannot vouch for anyone.
        assert_eq!(
            proxy.client(ip("203.0.113.9"), &["198.51.100.1"]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_caller_is_the_first_untrusted_hop_from_the_right() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.0.2.7").unwrap();
        // client -> 192.0.2.7 (CDN) -> 10.1.2.3 (load balancer) -> us
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["198.51.100.23, 192.0.2.7"]),
            ip("198.51.100.23")
        );
        // A client that sends its own header only adds entries left of its address.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["1.2.3.4, 198.51.100.23"]),
            ip("198.51.100.23")
        );
        // Several header lines are one list, in order.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["1.2.3.4", "198.51.100.23, 192.0.2.7"]),
            ip("198.51.100.23")
        );
        // IPv6 callers.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["2001:db8::42"]),
            ip("2001:db8::42")
        );
    }

    #[test]
    fn a_missing_or_unreadable_header_stops_at_the_last_hop_known() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        assert_eq!(proxies.client(ip("10.1.2.3"), &[]), ip("10.1.2.3"));
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["198.51.100.23, unknown, 10.9.9.9"]),
            ip("10.9.9.9")
        );
        // Every hop trusted: the furthest one is the best we know.
        assert_eq!(
            proxies.client(ip("10.1.2.3"), &["10.4.4.4, 10.5.5.5"]),
            ip("10.4.4.4")
        );
    }

    #[test]
    fn the_list_takes_addresses_and_blocks_and_names_a_bad_entry() {
        assert_eq!(
            TrustedProxies::parse("").unwrap(),
            TrustedProxies::default()
        );
        assert!(TrustedProxies::parse("10.0.0.0/8, ::1, fd00::/8").is_ok());
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8, proxy.local").unwrap_err(),
            "proxy.local"
        );
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/33").unwrap_err(),
            "10.0.0.0/33"
        );
    }
}
