//! Configuration: compiled-in defaults, then an optional `socialrx.toml`, then `SOCIALRX_*`
//! environment variables and `DATABASE_URL`. Nothing needs to be set to run locally.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

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
    /// PostgreSQL only: a streaming replica (`postgres://...`) for the reads that may be a
    /// little stale (the directory's change feed, reports); empty reads all from the primary.
    pub read_database_url: String,
    pub max_connections: u32,
    /// How long start-up waits for an unreachable database (retrying with backoff) before
    /// it gives up; 0 gives up at once.
    pub database_wait_seconds: u64,
    /// How long a request body may take to arrive, from the end of its headers; a slower
    /// body is answered 408 and its connection closed.
    pub body_timeout_seconds: u64,
    /// HS256 secret for bearer tokens; empty turns HS256 off (identity provider keys only).
    pub jwt_secret: String,
    /// Identity provider public keys: PEM files (RSA for RS256, P-256 for ES256),
    /// comma-separated.
    pub jwt_public_keys: String,
    /// An identity provider's JWKS document, saved as a file.
    pub jwt_jwks_file: String,
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
    /// `POST /v1/self-referrals` per client IP address (IPv6: per /64), per minute.
    pub self_referral_per_ip_per_minute: u32,
    /// `POST /v1/self-referrals` per partner key, from all clients together, per minute.
    pub self_referral_per_partner_per_minute: u32,
    /// Browser origins allowed to call the API (CORS), comma-separated, such as
    /// `https://app.example.org`; empty (the default) allows none.
    pub cors_allowed_origins: String,
    /// Methods a browser may use cross-origin, comma-separated.
    pub cors_allowed_methods: String,
    /// Request headers a browser may send cross-origin, comma-separated.
    pub cors_allowed_headers: String,
    /// How long a browser may cache a preflight answer, in seconds.
    pub cors_max_age_seconds: u64,
    /// Run the webhook delivery worker in this process.
    pub webhooks_enabled: bool,
    /// How often the webhook worker looks for due deliveries when idle, in milliseconds.
    pub webhook_poll_interval_ms: u64,
    /// Per-request timeout when posting an event, in seconds.
    pub webhook_timeout_seconds: u64,
    /// Attempts before a delivery is marked failed (an admin can redeliver it).
    pub webhook_max_attempts: u32,
    /// The first retry waits this long; each next one twice as long (at most an hour).
    pub webhook_backoff_seconds: u64,
    /// Post webhooks to loopback, private and link-local addresses too. Unset: allowed in
    /// development only (receivers on this machine while building an integration);
    /// elsewhere the service posts only to public addresses, so that an admin cannot aim
    /// it at the network it runs in.
    pub webhook_allow_private_receivers: Option<bool>,
    /// Reverse proxies in front of the service, comma-separated addresses or CIDR blocks
    /// (`10.0.0.0/8, 192.0.2.7`): their `X-Forwarded-For` names the caller in the audit
    /// trail and the per-address rate limits. Empty (the default): the connection's peer
    /// is the caller and the header is ignored.
    pub trusted_proxies: String,
    /// The response-time policy: a referral still `received` after this many working days
    /// is overdue in the coordinator's queue.
    pub response_working_days: u32,
    /// A directory activity not verified for longer than this is marked `stale`.
    pub directory_stale_after_days: u32,
    /// Where the directory search index is saved between starts, on local disk (a cache:
    /// the database is the record). Unset: beside a SQLite database file
    /// (`socialrx.db` -> `socialrx.search/`), in memory only with PostgreSQL; empty: in
    /// memory only. Each instance needs its own.
    pub search_index_dir: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            environment: Environment::Development,
            bind: "127.0.0.1:8080".into(),
            database_url: "sqlite:socialrx.db".into(),
            read_database_url: String::new(),
            max_connections: 16,
            database_wait_seconds: 60,
            body_timeout_seconds: 10,
            jwt_secret: DEVELOPMENT_SECRET.into(),
            jwt_public_keys: String::new(),
            jwt_jwks_file: String::new(),
            jwt_issuer: "socialrx".into(),
            jwt_audience: "socialrx".into(),
            jwt_leeway_seconds: 30,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            workers: 0,
            shutdown_timeout_seconds: 30,
            idempotency_key_hours: 48,
            self_referral_per_ip_per_minute: socialrx_api::RateLimits::default().per_ip_per_minute,
            self_referral_per_partner_per_minute: socialrx_api::RateLimits::default()
                .per_partner_per_minute,
            cors_allowed_origins: String::new(),
            cors_allowed_methods: "GET, POST, PUT, PATCH, DELETE".into(),
            cors_allowed_headers:
                "Authorization, Content-Type, Idempotency-Key, If-Match, X-Request-Id".into(),
            cors_max_age_seconds: 3600,
            webhooks_enabled: true,
            webhook_poll_interval_ms: 1000,
            webhook_timeout_seconds: 10,
            webhook_max_attempts: 12,
            webhook_backoff_seconds: 30,
            webhook_allow_private_receivers: None,
            trusted_proxies: String::new(),
            response_working_days: 5,
            directory_stale_after_days: 365,
            search_index_dir: None,
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
            .field("read_database", &redact_url(&self.read_database_url))
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
        let backend = socialrx_store::Backend::of(&self.database_url)
            .map_err(|e| ConfigError(format!("database_url (DATABASE_URL): {e}")))?;
        self.check_read_database(backend)?;
        if self.environment == Environment::Production && self.jwt_secret == DEVELOPMENT_SECRET {
            return Err(ConfigError(
                "jwt_secret (SOCIALRX_JWT_SECRET) is the development secret, which is refused when environment is production".into(),
            ));
        }
        if !self.jwt_secret.is_empty() && self.jwt_secret.len() < 32 {
            return Err(ConfigError(
                "jwt_secret (SOCIALRX_JWT_SECRET) must be at least 32 bytes (or empty to turn HS256 off)".into(),
            ));
        }
        self.verifier()?;
        if self.body_timeout_seconds == 0 {
            return Err(ConfigError(
                "body_timeout_seconds (SOCIALRX_BODY_TIMEOUT_SECONDS) must be at least 1".into(),
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
        if self.self_referral_per_ip_per_minute == 0
            || self.self_referral_per_partner_per_minute == 0
        {
            return Err(ConfigError(
                "self_referral_per_ip_per_minute (SOCIALRX_SELF_REFERRAL_PER_IP_PER_MINUTE) and \
                 self_referral_per_partner_per_minute (SOCIALRX_SELF_REFERRAL_PER_PARTNER_PER_MINUTE) \
                 must be at least 1"
                    .into(),
            ));
        }
        self.cors()?;
        self.trusted_proxies()?;
        if self.webhook_poll_interval_ms == 0
            || self.webhook_timeout_seconds == 0
            || self.webhook_max_attempts == 0
            || self.webhook_backoff_seconds == 0
        {
            return Err(ConfigError(
                "webhook_poll_interval_ms, webhook_timeout_seconds, webhook_max_attempts and webhook_backoff_seconds (SOCIALRX_WEBHOOK_*) must be at least 1".into(),
            ));
        }
        if self.response_working_days > 60 {
            return Err(ConfigError(
                "response_working_days (SOCIALRX_RESPONSE_WORKING_DAYS) must be at most 60".into(),
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

impl Settings {
    /// A replica serves a PostgreSQL primary only: SQLite has no streaming replication.
    fn check_read_database(&self, primary: socialrx_store::Backend) -> Result<(), ConfigError> {
        if self.read_database_url.is_empty() {
            return Ok(());
        }
        if primary != socialrx_store::Backend::Postgres {
            return Err(ConfigError(
                "read_database_url (SOCIALRX_READ_DATABASE_URL) needs a PostgreSQL database_url; SQLite has no replicas".into(),
            ));
        }
        match socialrx_store::Backend::of(&self.read_database_url) {
            Ok(socialrx_store::Backend::Postgres) => Ok(()),
            _ => Err(ConfigError(
                "read_database_url (SOCIALRX_READ_DATABASE_URL) must be a postgres:// URL".into(),
            )),
        }
    }

    /// The replica's URL for the store, if one is set.
    pub fn read_url(&self) -> Option<String> {
        (!self.read_database_url.is_empty()).then(|| self.read_database_url.clone())
    }
}

/// The file of a `sqlite:` URL; none for another backend or an in-memory database.
fn sqlite_file(url: &str) -> Option<PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let path = path.strip_prefix("//").unwrap_or(path);
    let in_memory = path.is_empty() || path == ":memory:" || query.contains("mode=memory");
    (!in_memory).then(|| PathBuf::from(path))
}

fn list(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Settings {
    /// Where the search index is saved, if anywhere (see `search_index_dir`).
    pub fn search_index_dir_resolved(&self) -> Option<PathBuf> {
        match self.search_index_dir.as_deref().map(str::trim) {
            Some("") => None,
            Some(dir) => Some(PathBuf::from(dir)),
            None => sqlite_file(&self.database_url).map(|db| db.with_extension("search")),
        }
    }

    /// Whether webhooks may go to non-public addresses: as set, or in development only.
    pub fn webhook_allow_private_receivers_resolved(&self) -> bool {
        self.webhook_allow_private_receivers
            .unwrap_or(self.environment == Environment::Development)
    }

    /// The reverse proxies whose `X-Forwarded-For` is believed.
    pub fn trusted_proxies(&self) -> Result<socialrx_api::client_ip::TrustedProxies, ConfigError> {
        socialrx_api::client_ip::TrustedProxies::parse(&self.trusted_proxies).map_err(|entry| {
            ConfigError(format!(
                "trusted_proxies (SOCIALRX_TRUSTED_PROXIES): '{entry}' is not an IP address or CIDR block"
            ))
        })
    }

    /// The rate limits of the self-referral route.
    pub fn self_referral_limits(&self) -> socialrx_api::RateLimits {
        socialrx_api::RateLimits {
            per_ip_per_minute: self.self_referral_per_ip_per_minute,
            per_partner_per_minute: self.self_referral_per_partner_per_minute,
        }
    }

    /// The CORS policy these settings describe, each origin, method and header checked.
    pub fn cors(&self) -> Result<socialrx_api::cors::CorsSettings, ConfigError> {
        let cors = socialrx_api::cors::CorsSettings {
            allowed_origins: list(&self.cors_allowed_origins),
            allowed_methods: list(&self.cors_allowed_methods),
            allowed_headers: list(&self.cors_allowed_headers),
            max_age_seconds: self.cors_max_age_seconds as usize,
        };
        for origin in &cors.allowed_origins {
            socialrx_api::cors::CorsSettings::check_origin(origin).map_err(|e| {
                ConfigError(format!(
                    "cors_allowed_origins (SOCIALRX_CORS_ALLOWED_ORIGINS): {e}"
                ))
            })?;
        }
        for method in &cors.allowed_methods {
            actix_web::http::Method::from_bytes(method.as_bytes()).map_err(|_| {
                ConfigError(format!(
                    "cors_allowed_methods (SOCIALRX_CORS_ALLOWED_METHODS): '{method}' is not an HTTP method"
                ))
            })?;
        }
        for name in &cors.allowed_headers {
            actix_web::http::header::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
                ConfigError(format!(
                    "cors_allowed_headers (SOCIALRX_CORS_ALLOWED_HEADERS): '{name}' is not a header name"
                ))
            })?;
        }
        Ok(cors)
    }

    /// The token verifier these settings describe, with every key file read and checked.
    pub fn verifier(&self) -> Result<socialrx_api::Verifier, ConfigError> {
        let mut keys = socialrx_api::auth::KeyConfig {
            hs256_secret: (!self.jwt_secret.is_empty())
                .then(|| self.jwt_secret.as_bytes().to_vec()),
            issuer: self.jwt_issuer.clone(),
            audience: self.jwt_audience.clone(),
            leeway_seconds: self.jwt_leeway_seconds,
            ..Default::default()
        };
        for path in self
            .jwt_public_keys
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let pem = std::fs::read(path).map_err(|e| {
                ConfigError(format!(
                    "jwt_public_keys (SOCIALRX_JWT_PUBLIC_KEYS): cannot read {path}: {e}"
                ))
            })?;
            keys.public_key_pems.push((path.to_owned(), pem));
        }
        if !self.jwt_jwks_file.is_empty() {
            let json = std::fs::read(&self.jwt_jwks_file).map_err(|e| {
                ConfigError(format!(
                    "jwt_jwks_file (SOCIALRX_JWT_JWKS_FILE): cannot read {}: {e}",
                    self.jwt_jwks_file
                ))
            })?;
            keys.jwks = Some((self.jwt_jwks_file.clone(), json));
        }
        socialrx_api::Verifier::new(&keys).map_err(|e| ConfigError(format!("jwt keys: {e}")))
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
    fn webhooks_reach_private_addresses_in_development_only_unless_set() {
        let in_env = |environment, set| Settings {
            environment,
            webhook_allow_private_receivers: set,
            ..Settings::default()
        };
        assert!(in_env(Environment::Development, None).webhook_allow_private_receivers_resolved());
        assert!(!in_env(Environment::Production, None).webhook_allow_private_receivers_resolved());
        assert!(
            !in_env(Environment::Development, Some(false))
                .webhook_allow_private_receivers_resolved()
        );
        assert!(
            in_env(Environment::Production, Some(true)).webhook_allow_private_receivers_resolved()
        );
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
    fn self_referral_rate_limits_must_allow_something() {
        let s = Settings {
            self_referral_per_ip_per_minute: 0,
            ..Settings::default()
        };
        let e = s.check().unwrap_err().to_string();
        assert!(
            e.contains("SOCIALRX_SELF_REFERRAL_PER_IP_PER_MINUTE"),
            "{e}"
        );
        assert_eq!(
            Settings::default().self_referral_limits(),
            socialrx_api::RateLimits::default()
        );
    }

    #[test]
    fn cors_origins_are_checked_and_off_by_default() {
        assert!(!Settings::default().cors().unwrap().enabled());
        let s = Settings {
            cors_allowed_origins: "https://app.example.org, https://*.example.org".into(),
            ..Settings::default()
        };
        assert!(
            s.check()
                .unwrap_err()
                .to_string()
                .contains("cors_allowed_origins")
        );
    }

    #[test]
    fn a_read_replica_needs_postgresql_on_both_sides() {
        let on_sqlite = Settings {
            read_database_url: "postgres://postgres@127.0.0.1:5433/socialrx".into(),
            ..Settings::default()
        };
        let e = on_sqlite.check().unwrap_err().to_string();
        assert!(
            e.contains("SOCIALRX_READ_DATABASE_URL") && e.contains("SQLite"),
            "{e}"
        );
        let not_postgres = Settings {
            database_url: "postgres://postgres@127.0.0.1:5432/socialrx".into(),
            read_database_url: "sqlite:replica.db".into(),
            ..Settings::default()
        };
        let e = not_postgres.check().unwrap_err().to_string();
        assert!(e.contains("postgres://"), "{e}");
        let both = Settings {
            read_database_url: "postgres://postgres@127.0.0.1:5433/socialrx".into(),
            ..not_postgres
        };
        both.check().unwrap();
        assert!(both.read_url().is_some() && Settings::default().read_url().is_none());
    }

    #[test]
    fn the_search_index_is_saved_beside_a_sqlite_file_unless_set() {
        let with = |url: &str, dir: Option<&str>| Settings {
            database_url: url.into(),
            search_index_dir: dir.map(str::to_owned),
            ..Settings::default()
        };
        let resolved = |s: Settings| s.search_index_dir_resolved();
        assert_eq!(
            resolved(Settings::default()),
            Some(PathBuf::from("socialrx.search"))
        );
        assert_eq!(
            resolved(with("sqlite:///var/lib/x/db.sqlite?mode=rwc", None)),
            Some(PathBuf::from("/var/lib/x/db.search"))
        );
        assert_eq!(resolved(with("sqlite::memory:", None)), None);
        assert_eq!(resolved(with("postgres://u@h/db", None)), None);
        assert_eq!(
            resolved(with("postgres://u@h/db", Some("/srv/search"))),
            Some(PathBuf::from("/srv/search"))
        );
        assert_eq!(resolved(with("sqlite:socialrx.db", Some(""))), None);
    }

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact_url("postgres://u:pw@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite:x.db"), "sqlite:x.db");
    }
}
