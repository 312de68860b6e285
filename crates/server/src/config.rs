//! Configuration: compiled-in defaults, then an optional `socialrx.toml`, then `SOCIALRX_*`
//! environment variables and `DATABASE_URL`. Nothing needs to be set to run locally.

use std::net::SocketAddr;
use std::path::Path;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

/// The development JWT secret. Known to everyone, so refused in production.
pub const DEVELOPMENT_SECRET: &str = "socialrx-development-secret-do-not-use-in-production";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    Development,
    Production,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub environment: Environment,
    /// Address to listen on.
    pub bind: String,
    /// `sqlite:<file>` or `postgres://...`; `sqlite:socialrx.db` when unset.
    pub database_url: String,
    pub max_connections: u32,
    /// HS256 secret for bearer tokens.
    pub jwt_secret: String,
    pub jwt_issuer: String,
    pub jwt_audience: String,
    /// Clock skew forgiven on `exp` and `nbf`.
    pub jwt_leeway_seconds: u64,
    pub log_format: LogFormat,
    /// An `EnvFilter` directive (`info`, `socialrx=debug,sqlx=warn`).
    pub log_level: String,
    /// HTTP worker threads; 0 means one per CPU.
    pub workers: usize,
    /// How long SIGTERM waits for requests in flight.
    pub shutdown_timeout_seconds: u64,
    /// How long idempotency keys are kept (at least 24).
    pub idempotency_key_hours: u64,
    /// A directory activity not verified for longer than this is marked `stale`.
    pub directory_stale_after_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite:socialrx.db".into(),
            max_connections: 16,
            jwt_secret: DEVELOPMENT_SECRET.into(),
            jwt_issuer: "socialrx".into(),
            jwt_audience: "socialrx".into(),
            jwt_leeway_seconds: 30,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            workers: 0,
            shutdown_timeout_seconds: 30,
            idempotency_key_hours: 48,
            directory_stale_after_days: 365,
        }
    }
}

// Secrets never reach a log or an error message.
impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("environment", &self.environment)
            .field("bind", &self.bind)
            .field("database", &redact_url(&self.database_url))
            .field("jwt_issuer", &self.jwt_issuer)
            .field("jwt_audience", &self.jwt_audience)
            .field("log_format", &self.log_format)
            .finish_non_exhaustive()
    }
}

/// `postgres://user:secret@host/db` without the password.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}@{}", &url[..s + 3], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Reads the layers and checks the result. `file` defaults to `socialrx.toml` in the
    /// working directory when it exists.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Settings::default()));
        match file {
            Some(path) if !path.exists() => {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None => figment = figment.merge(Toml::file("socialrx.toml")),
        }
        let figment = figment
            .merge(Env::prefixed("SOCIALRX_").ignore(&["config"]))
            .merge(Env::raw().only(&["DATABASE_URL"]));
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError(describe_figment(e)))?;
        settings.check()?;
        Ok(settings)
    }

    pub fn check(&self) -> Result<(), ConfigError> {
        self.bind.parse::<SocketAddr>().map_err(|_| {
            ConfigError(format!(
                "bind (SOCIALRX_BIND) must be an address and port such as 127.0.0.1:8080, not '{}'",
                self.bind
            ))
        })?;
        socialrx_store::Backend::of(&self.database_url)
            .map_err(|e| ConfigError(format!("database_url (DATABASE_URL): {e}")))?;
        if self.environment == Environment::Production && self.jwt_secret == DEVELOPMENT_SECRET {
            return Err(ConfigError(
                "jwt_secret (SOCIALRX_JWT_SECRET) is the development secret, which is refused when environment is production".into(),
            ));
        }
        if self.jwt_secret.len() < 32 {
            return Err(ConfigError(
                "jwt_secret (SOCIALRX_JWT_SECRET) must be at least 32 bytes".into(),
            ));
        }
        if self.max_connections == 0 {
            return Err(ConfigError(
                "max_connections (SOCIALRX_MAX_CONNECTIONS) must be at least 1".into(),
            ));
        }
        if self.idempotency_key_hours < 24 {
            return Err(ConfigError(
                "idempotency_key_hours (SOCIALRX_IDEMPOTENCY_KEY_HOURS) must be at least 24".into(),
            ));
        }
        tracing_subscriber::EnvFilter::try_new(&self.log_level).map_err(|e| {
            ConfigError(format!(
                "log_level (SOCIALRX_LOG_LEVEL) is not a valid filter: {e}"
            ))
        })?;
        Ok(())
    }
}

/// Names the setting and where it came from, without echoing a secret's value.
fn describe_figment(e: figment::Error) -> String {
    let key = e.path.join(".");
    let source = e
        .metadata
        .as_ref()
        .map(|m| m.name.to_string())
        .unwrap_or_else(|| "defaults".into());
    let kind = match &e.kind {
        figment::error::Kind::UnknownField(field, _) => format!("unknown setting '{field}'"),
        figment::error::Kind::InvalidType(actual, expected) => {
            format!("expected {expected}, found {actual}")
        }
        figment::error::Kind::UnknownVariant(v, allowed) => {
            format!("'{v}' is not one of: {}", allowed.join(", "))
        }
        other => other.to_string(),
    };
    if key.is_empty() {
        format!("{kind} (from {source})")
    } else {
        format!("{key}: {kind} (from {source})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_valid_for_development() {
        Settings::default().check().unwrap();
    }

    #[test]
    fn production_refuses_the_development_secret() {
        let s = Settings {
            environment: Environment::Production,
            ..Settings::default()
        };
        let e = s.check().unwrap_err().to_string();
        assert!(e.contains("jwt_secret"), "{e}");
    }

    #[test]
    fn an_unknown_database_scheme_is_named() {
        let s = Settings {
            database_url: "mysql://localhost/x".into(),
            ..Settings::default()
        };
        assert!(s.check().unwrap_err().to_string().contains("DATABASE_URL"));
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:x.db"), "sqlite:x.db");
    }
}
