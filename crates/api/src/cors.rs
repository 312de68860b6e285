//! Browser access for third-party frontends: CORS for the authenticated API, from static
//! configuration. None by default. This is not the per-partner origin list of the
//! self-referral forms, which has its own keys and limits.

use actix_cors::Cors;
use actix_web::http::header;

/// Which browser origins may call the API, and how.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CorsSettings {
    /// Exact origins (`https://app.example.org`); empty turns CORS off.
    pub allowed_origins: Vec<String>,
    /// Methods a preflight may ask for.
    pub allowed_methods: Vec<String>,
    /// Request headers a preflight may ask for.
    pub allowed_headers: Vec<String>,
    /// How long a browser may cache a preflight answer.
    pub max_age_seconds: usize,
}

/// Response headers a browser script may read.
pub const EXPOSED_HEADERS: &[&str] = &["ETag", "Location", "X-Request-Id"];

impl CorsSettings {
    pub fn enabled(&self) -> bool {
        !self.allowed_origins.is_empty()
    }

    /// An origin as a browser sends it: scheme, host and optional port, nothing else.
    pub fn check_origin(origin: &str) -> Result<(), String> {
        let rest = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"))
            .ok_or_else(|| format!("'{origin}' must start with https:// or http://"))?;
        if rest.is_empty() || rest.contains(['/', '*', ' ', '?', '#']) {
            return Err(format!(
                "'{origin}' must be an origin such as https://app.example.org (no path, no wildcard)"
            ));
        }
        Ok(())
    }

    /// The middleware. Call only with checked settings (`check_origin` on each origin).
    pub fn middleware(&self) -> Cors {
        let mut cors = Cors::default()
            .allowed_methods(self.allowed_methods.iter().map(String::as_str))
            .allowed_headers(self.allowed_headers.iter().map(String::as_str))
            .expose_headers([
                header::ETAG,
                header::LOCATION,
                header::HeaderName::from_static("x-request-id"),
            ])
            .max_age(self.max_age_seconds);
        for origin in &self.allowed_origins {
            cors = cors.allowed_origin(origin);
        }
        cors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_bare_scheme_host_and_port() {
        assert!(CorsSettings::check_origin("https://app.example.org").is_ok());
        assert!(CorsSettings::check_origin("http://localhost:5173").is_ok());
        assert!(CorsSettings::check_origin("https://app.example.org/").is_err());
        assert!(CorsSettings::check_origin("*").is_err());
        assert!(CorsSettings::check_origin("app.example.org").is_err());
    }

    #[test]
    fn cors_is_off_by_default() {
        assert!(!CorsSettings::default().enabled());
    }
}
