//! Partner websites that host self-referral forms: the web origins each may post from and
//! the key that names it.
//!
//! A partner key is a *publishable* key: it sits in a browser form, so anyone who views the
//! partner's page can read it. It names the partner (and so the organisation a
//! self-referral goes to); it does not make a request trustworthy. What protects the
//! service is the origin allow-list (for browsers), rate limits and validation.

use std::fmt;

use rand::Rng;
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::limits;
use crate::violations::Invalid;

/// A web origin as browsers send it in the `Origin` header: `scheme://host[:port]`, lower
/// case, without a default port, a path, a query or user information.
///
/// `https` only, except `http` for `localhost` and `127.0.0.1` (development).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Origin(String);

impl Origin {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        let trimmed = raw.trim();
        let format = || {
            Invalid::new(
                "origin_format",
                "must be a web origin such as https://www.example-charity.org.uk (scheme, host and optional port)",
            )
        };
        if trimmed.contains('*') {
            return Err(Invalid::new(
                "origin_wildcard",
                "must be one exact origin; wildcards are not allowed",
            ));
        }
        if trimmed.is_empty()
            || trimmed.len() > limits::ORIGIN
            || !trimmed.is_ascii()
            || trimmed
                .chars()
                .any(|c| c.is_ascii_whitespace() || c.is_control())
        {
            return Err(format());
        }
        let (scheme, rest) = trimmed.split_once("://").ok_or_else(format)?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "https" && scheme != "http" {
            return Err(format());
        }
        // A lone trailing slash is how origins are often copied from the address bar.
        let authority = rest.strip_suffix('/').unwrap_or(rest);
        if authority.contains(['/', '?', '#']) {
            return Err(Invalid::new(
                "origin_has_path",
                "must be an origin only: no path, query or fragment (https://www.example.org, not https://www.example.org/refer)",
            ));
        }
        if authority.contains('@') {
            return Err(format());
        }
        let authority = authority.to_ascii_lowercase();
        let (host, port) = match authority.rsplit_once(':') {
            Some((host, port)) => {
                let port: u16 = port
                    .parse()
                    .ok()
                    .filter(|p| *p != 0 && !port.starts_with('0'))
                    .ok_or_else(format)?;
                (host, Some(port))
            }
            None => (authority.as_str(), None),
        };
        let local = host == "localhost" || host == "127.0.0.1";
        if !(is_ipv4(host) || (is_dns_name(host) && (host.contains('.') || local))) {
            return Err(format());
        }
        if scheme == "http" && !local {
            return Err(Invalid::new(
                "origin_insecure",
                "must use https (http is allowed only for localhost and 127.0.0.1)",
            ));
        }
        let default_port = if scheme == "https" { 443 } else { 80 };
        Ok(Self(match port {
            Some(p) if p != default_port => format!("{scheme}://{host}:{p}"),
            _ => format!("{scheme}://{host}"),
        }))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The `host[:port]` part, as a `Host` header names it.
    pub fn authority(&self) -> &str {
        self.0.split_once("://").map(|(_, a)| a).unwrap_or(&self.0)
    }

    /// For values read back from the store, which only ever holds parsed origins.
    pub fn from_trusted(s: String) -> Self {
        Self(s)
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_ipv4(host: &str) -> bool {
    host.parse::<std::net::Ipv4Addr>().is_ok()
}

/// Letters, digits and hyphens in dot-separated labels of 1 to 63 characters, no label
/// starting or ending with a hyphen. International names must be in their `xn--` form,
/// which is what browsers put in `Origin`.
fn is_dns_name(host: &str) -> bool {
    host.len() <= 253
        && host.split('.').all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
        && !host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
}

/// The allowed origins of a partner: one to [`limits::PARTNER_ORIGINS`], each once (after
/// normalisation, so `https://a.org` and `https://A.org:443/` are the same origin).
pub fn allowed_origins(origins: Vec<Origin>) -> Result<Vec<Origin>, Invalid> {
    if origins.is_empty() {
        return Err(Invalid::new("required", "at least one origin is needed"));
    }
    if origins.len() > limits::PARTNER_ORIGINS {
        return Err(Invalid::new(
            "too_many",
            format!("at most {} origins are allowed", limits::PARTNER_ORIGINS),
        ));
    }
    let mut seen: Vec<Origin> = Vec::with_capacity(origins.len());
    for o in origins {
        if seen.contains(&o) {
            return Err(Invalid::new("duplicate", format!("'{o}' is listed twice")));
        }
        seen.push(o);
    }
    Ok(seen)
}

/// A partner key: `srxpk_` and 32 letters and digits (about 190 random bits). Shown once
/// when the partner is registered; only its SHA-256 is stored. A plain hash suffices
/// because the key is random, not chosen by a person.
#[derive(Clone, PartialEq, Eq)]
pub struct PartnerKey(String);

impl PartnerKey {
    pub const PREFIX: &'static str = "srxpk_";
    const RANDOM_LEN: usize = 32;
    /// How much of a key is kept in clear, so an admin can tell keys apart.
    const SHOWN_LEN: usize = Self::PREFIX.len() + 4;

    pub fn generate() -> Self {
        let random: String = rand::rng()
            .sample_iter(rand::distr::Alphanumeric)
            .take(Self::RANDOM_LEN)
            .map(char::from)
            .collect();
        Self(format!("{}{random}", Self::PREFIX))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The stored form: lower-case hex SHA-256.
    pub fn hash(&self) -> String {
        Self::hash_of(&self.0)
    }

    /// The stored form of whatever a client sent (which may be no key of ours at all).
    pub fn hash_of(raw: &str) -> String {
        Sha256::digest(raw.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The first characters (`srxpk_AbCd`), safe to list.
    pub fn shown_prefix(&self) -> &str {
        &self.0[..Self::SHOWN_LEN]
    }

    /// Whether `raw` could be a key at all (cheap check before a database look-up).
    pub fn looks_like_a_key(raw: &str) -> bool {
        raw.len() == Self::PREFIX.len() + Self::RANDOM_LEN
            && raw.starts_with(Self::PREFIX)
            && raw[Self::PREFIX.len()..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric())
    }
}

// A key is never printed by accident.
impl fmt::Debug for PartnerKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PartnerKey({}...)", self.shown_prefix())
    }
}

/// A partner form as registered: everything checked, nothing stored yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartner {
    pub name: String,
    pub allowed_origins: Vec<Origin>,
}

/// A registered partner form of one organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partner {
    pub id: Uuid,
    pub organisation: String,
    /// Shown to staff as the referrer of the partner's self-referrals.
    pub name: String,
    pub allowed_origins: Vec<Origin>,
    /// The first characters of the key, for telling keys apart.
    pub key_prefix: String,
    /// False once revoked: the key is refused from then on.
    pub active: bool,
    pub created_by: String,
    pub created_at: OffsetDateTime,
    pub disabled_at: Option<OffsetDateTime>,
}

impl Partner {
    /// Whether a browser on `origin` may use this partner's key.
    pub fn allows(&self, origin: &str) -> bool {
        self.allowed_origins.iter().any(|o| o.as_str() == origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(raw: &str) -> Result<String, &'static str> {
        Origin::parse(raw).map(|o| o.0).map_err(|e| e.code)
    }

    #[test]
    fn an_https_origin_is_kept_as_browsers_send_it() {
        assert_eq!(
            origin("https://www.example-charity.org.uk"),
            Ok("https://www.example-charity.org.uk".into())
        );
        assert_eq!(
            origin(" HTTPS://WWW.Example.ORG:8443 "),
            Ok("https://www.example.org:8443".into())
        );
    }

    #[test]
    fn a_default_port_and_a_lone_trailing_slash_are_dropped() {
        assert_eq!(
            origin("https://example.org:443/"),
            Ok("https://example.org".into())
        );
        assert_eq!(origin("http://localhost:80"), Ok("http://localhost".into()));
    }

    #[test]
    fn plain_http_is_only_for_localhost() {
        assert_eq!(
            origin("http://localhost:3000"),
            Ok("http://localhost:3000".into())
        );
        assert_eq!(
            origin("http://127.0.0.1:8080"),
            Ok("http://127.0.0.1:8080".into())
        );
        assert_eq!(origin("http://www.example.org"), Err("origin_insecure"));
        assert_eq!(origin("http://10.0.0.1"), Err("origin_insecure"));
    }

    #[test]
    fn a_path_query_or_fragment_is_refused() {
        assert_eq!(origin("https://example.org/refer"), Err("origin_has_path"));
        assert_eq!(origin("https://example.org?a=1"), Err("origin_has_path"));
        assert_eq!(origin("https://example.org#x"), Err("origin_has_path"));
    }

    #[test]
    fn wildcards_and_other_shapes_are_refused() {
        assert_eq!(origin("*"), Err("origin_wildcard"));
        assert_eq!(origin("https://*.example.org"), Err("origin_wildcard"));
        for bad in [
            "",
            "example.org",
            "ftp://example.org",
            "https://",
            "https://user@example.org",
            "https://example.org:0",
            "https://example.org:99999",
            "https://example.org:",
            "https://-bad.example.org",
            "https://exa mple.org",
            "https://intranet",
            "https://exämple.org",
            "https://1.2.3",
            "null",
        ] {
            assert_eq!(origin(bad), Err("origin_format"), "{bad:?}");
        }
    }

    #[test]
    fn an_ip_address_origin_is_accepted_over_https() {
        assert_eq!(origin("https://192.0.2.7"), Ok("https://192.0.2.7".into()));
    }

    #[test]
    fn origins_need_one_and_refuse_repeats_after_normalisation() {
        assert_eq!(allowed_origins(vec![]).unwrap_err().code, "required");
        let a = Origin::parse("https://a.org").unwrap();
        let a2 = Origin::parse("https://A.org:443/").unwrap();
        assert_eq!(allowed_origins(vec![a, a2]).unwrap_err().code, "duplicate");
        let many = (0..=limits::PARTNER_ORIGINS)
            .map(|i| Origin::parse(&format!("https://a{i}.org")).unwrap())
            .collect();
        assert_eq!(allowed_origins(many).unwrap_err().code, "too_many");
    }

    #[test]
    fn a_key_is_random_recognisable_and_stored_only_as_a_hash() {
        let a = PartnerKey::generate();
        let b = PartnerKey::generate();
        assert_ne!(a, b);
        assert!(PartnerKey::looks_like_a_key(a.as_str()), "{}", a.as_str());
        assert_eq!(a.hash().len(), 64);
        assert_eq!(a.hash(), PartnerKey::hash_of(a.as_str()));
        assert!(!a.hash().contains(&a.as_str()[6..]));
        assert_eq!(a.shown_prefix().len(), 10);
        assert!(!format!("{a:?}").contains(&a.as_str()[10..]));
    }

    #[test]
    fn something_that_is_not_a_key_is_recognised_without_a_look_up() {
        assert!(!PartnerKey::looks_like_a_key(""));
        assert!(!PartnerKey::looks_like_a_key("srxpk_short"));
        assert!(!PartnerKey::looks_like_a_key(&format!(
            "srxpk_{}",
            "!".repeat(32)
        )));
    }
}
