//! Building and running the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::{App, HttpServer};
use socialrx_api::AppState;
use socialrx_api::routes::directory::DirectorySettings;
use socialrx_domain::caseload::ResponsePolicy;
use socialrx_search::SearchIndex;
use socialrx_store::{ConnectOptions, Store};

use crate::config::Settings;

/// Opens the database, waiting for it when it cannot be reached yet (a service started
/// beside its database, or before it): retries with doubling pauses (0.5 s up to 10 s),
/// each logged, until `wait` has passed. Anything but unreachability (a bad URL, a failed
/// migration) stops at once.
async fn connect_waiting(
    url: &str,
    options: &ConnectOptions,
    wait: Duration,
) -> Result<Arc<dyn Store>, StartError> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(500);
    let mut attempt = 1u32;
    loop {
        match socialrx_store::connect(url, options).await {
            Ok(store) => {
                if attempt > 1 {
                    tracing::info!(attempt, "the database is reachable");
                }
                return Ok(store);
            }
            Err(socialrx_store::StoreError::Unavailable(cause))
                if started.elapsed() + pause <= wait =>
            {
                tracing::warn!(
                    attempt,
                    retry_in_ms = pause.as_millis() as u64,
                    error = %cause,
                    "the database cannot be reached yet; retrying"
                );
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(10));
                attempt += 1;
            }
            Err(e) => {
                return Err(StartError(format!(
                    "cannot open the database (after {attempt} attempt(s) in {:.1} s): {e}",
                    started.elapsed().as_secs_f64()
                )));
            }
        }
    }
}

pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects (and migrates) the database and binds the listener. A `bind` port of 0
    /// takes any free port (tests).
    pub async fn build(settings: &Settings) -> Result<Self, StartError> {
        let store = connect_waiting(
            &settings.database_url,
            &ConnectOptions {
                max_connections: settings.max_connections,
                // All of them, on this (the main) runtime: see `ConnectOptions`.
                min_connections: settings.max_connections,
                read_url: settings.read_url(),
                ..ConnectOptions::default()
            },
            Duration::from_secs(settings.database_wait_seconds),
        )
        .await?;
        let search = load_search_index(store.clone(), settings).await?;
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| StartError(format!("cannot listen on {}: {e}", settings.bind)))?;
        Self::with_store(settings, store, search, listener)
    }

    pub fn with_store(
        settings: &Settings,
        store: Arc<dyn Store>,
        search: Arc<SearchIndex>,
        listener: TcpListener,
    ) -> Result<Self, StartError> {
        let port = listener
            .local_addr()
            .map_err(|e| StartError(e.to_string()))?
            .port();
        let verifier = settings.verifier().map_err(|e| StartError(e.to_string()))?;
        spawn_idempotency_purge(store.clone(), settings.idempotency_key_hours);
        spawn_rate_limit_purge(store.clone());
        if settings.webhooks_enabled {
            tokio::spawn(crate::jobs::webhook_delivery::run_worker(
                store.clone(),
                crate::jobs::webhook_delivery::WorkerSettings {
                    poll_interval: Duration::from_millis(settings.webhook_poll_interval_ms),
                    timeout: Duration::from_secs(settings.webhook_timeout_seconds),
                    policy: socialrx_store::RetryPolicy {
                        max_attempts: settings.webhook_max_attempts,
                        backoff_base_seconds: settings.webhook_backoff_seconds,
                    },
                    batch: 20,
                    allow_private_receivers: settings.webhook_allow_private_receivers_resolved(),
                },
            ));
        }
        let cors = settings.cors().map_err(|e| StartError(e.to_string()))?;
        let state = AppState::new(
            store.clone(),
            verifier,
            search,
            DirectorySettings {
                stale_after_days: settings.directory_stale_after_days,
            },
        )
        .with_self_referral_limits(settings.self_referral_limits())
        .with_cors(cors)
        .with_trusted_proxies(
            settings
                .trusted_proxies()
                .map_err(|e| StartError(e.to_string()))?,
        )
        .with_response_policy(ResponsePolicy {
            working_days: settings.response_working_days,
        })
        .with_body_timeout(Duration::from_secs(settings.body_timeout_seconds));
        crate::jobs::replica_lag::follow(store, state.metrics.clone(), Duration::from_secs(1));
        let mut server =
            HttpServer::new(move || App::new().configure(socialrx_api::configure(state.clone())))
                .listen(listener)
                .map_err(|e| StartError(e.to_string()))?
                .shutdown_timeout(settings.shutdown_timeout_seconds);
        if settings.workers > 0 {
            server = server.workers(settings.workers);
        }
        Ok(Self {
            port,
            server: server.run(),
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until SIGTERM or Ctrl-C, then lets requests in flight finish.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Opens the directory search index saved by the last start and catches it up, or builds
/// it from the store (see `jobs::search_feed::open_or_build`), then follows the store.
async fn load_search_index(
    store: Arc<dyn Store>,
    settings: &Settings,
) -> Result<Arc<SearchIndex>, StartError> {
    use crate::jobs::search_feed;
    let started = std::time::Instant::now();
    let failed = |e: search_feed::FeedError| {
        StartError(format!(
            "cannot load the directory into search: {}",
            search_feed::chain(&e)
        ))
    };
    let (index, since) = match settings.search_index_dir_resolved() {
        Some(dir) => search_feed::open_or_build(store.as_ref(), &dir, &database_origin(settings))
            .await
            .map_err(failed)?,
        None => {
            let index = SearchIndex::new()
                .map_err(|e| StartError(format!("cannot create the search index: {e}")))?;
            let (_, since) = search_feed::load(store.as_ref(), &index)
                .await
                .map_err(failed)?;
            (index, since)
        }
    };
    tracing::info!(
        activities = index.len(),
        saved = index.is_saved(),
        ms = started.elapsed().as_millis() as u64,
        "directory search index ready"
    );
    let index = Arc::new(index);
    search_feed::follow(store, index.clone(), since, Duration::from_millis(500));
    Ok(index)
}

/// Which database a saved search index belongs to: a hash of its address without the
/// password (an address, not an identity: a database recreated at the same address is
/// caught by the checks after catch-up).
fn database_origin(settings: &Settings) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(crate::config::redact_url(&settings.database_url));
    digest[..8].iter().map(|b| format!("{b:02x}")).collect()
}

/// Forgets idempotency keys older than `hours`, once an hour.
fn spawn_idempotency_purge(store: Arc<dyn Store>, hours: u64) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3600));
        loop {
            tick.tick().await;
            let cutoff = time::OffsetDateTime::now_utc() - time::Duration::hours(hours as i64);
            match store.purge_idempotency_keys(cutoff).await {
                Ok(n) => tracing::debug!(purged = n, "idempotency keys purged"),
                Err(e) => tracing::warn!(error = %e, "idempotency key purge failed"),
            }
        }
    });
}

/// Forgets the self-referral hit counts of past minutes, every five minutes.
fn spawn_rate_limit_purge(store: Arc<dyn Store>) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            let (window, _) = socialrx_api::ratelimit::minute_window(
                time::OffsetDateTime::now_utc().unix_timestamp(),
            );
            match store.purge_rate_limit_hits(window - 1).await {
                Ok(n) => tracing::debug!(purged = n, "rate limit counts purged"),
                Err(e) => tracing::warn!(error = %e, "rate limit purge failed"),
            }
        }
    });
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);
