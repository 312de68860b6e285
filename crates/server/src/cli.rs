//! `socialrx serve | migrate | token | openapi | import-oruk | retention`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use socialrx_domain::{OdsCode, Role};

use crate::config::Settings;
use crate::startup::Application;

#[derive(Debug, Parser)]
#[command(
    name = "socialrx",
    version,
    about = "Social prescribing referrals, caseloads, activities and outcomes"
)]
pub struct Cli {
    /// A TOML config file (default: ./socialrx.toml when it exists).
    #[arg(long, global = true, env = "SOCIALRX_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the API (the default).
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Mint a development token signed with the configured secret.
    Token {
        /// The organisation's ODS code.
        #[arg(long)]
        org: String,
        /// The subject: who the token speaks for.
        #[arg(long)]
        sub: String,
        /// Roles, comma-separated: referrer, link_worker, coordinator, directory_editor, admin.
        #[arg(long, value_delimiter = ',', required = true)]
        roles: Vec<String>,
        /// Lifetime in seconds.
        #[arg(long, default_value_t = 3600)]
        ttl: i64,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// Import Open Referral UK services (3.0, or the v1 list format) into the directory:
    /// upserts by the feed's ids, reports what it could not take, never stops half way.
    ImportOruk {
        /// A JSON file, or a folder of them.
        path: PathBuf,
        /// The ODS code of the organisation whose directory editors will own the records.
        #[arg(long)]
        org: String,
    },
    /// Anonymise people whose referrals all closed before a cut-off (names, contact
    /// details, NHS number, exact postcode and date of birth, free text); codes, dates and
    /// counts stay for reporting.
    Retention {
        /// How long after closure data is kept, such as `8years` or `400days`.
        #[arg(long, value_parser = humantime::parse_duration)]
        older_than: std::time::Duration,
        /// Report what would be anonymised without changing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

/// Exit codes: 0 done, 1 failed while running, 2 bad configuration or arguments.
pub async fn run(cli: Cli) -> ExitCode {
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::Openapi = command {
        match serde_json::to_string_pretty(&socialrx_api::openapi()) {
            Ok(json) => {
                println!("{json}");
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                eprintln!("cannot render the spec: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    match command {
        Command::Serve => serve(settings).await,
        Command::Migrate => {
            crate::telemetry::init(&settings);
            match socialrx_store::migrate(&settings.database_url, &Default::default()).await {
                Ok(backend) => {
                    eprintln!("database is up to date ({backend})");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("migration failed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Token {
            org,
            sub,
            roles,
            ttl,
        } => token(&settings, &org, &sub, &roles, ttl),
        Command::Retention {
            older_than,
            dry_run,
        } => retention(&settings, older_than, dry_run).await,
        Command::ImportOruk { path, org } => import_oruk(&settings, &path, &org).await,
        Command::Openapi => ExitCode::SUCCESS,
    }
}

async fn serve(settings: Settings) -> ExitCode {
    crate::telemetry::init(&settings);
    let app = match Application::build(&settings).await {
        Ok(app) => app,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(
        port = app.port(),
        database = %crate::config::redact_url(&settings.database_url),
        environment = ?settings.environment,
        "socialrx is serving"
    );
    match app.run_until_stopped().await {
        Ok(()) => {
            tracing::info!("socialrx stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            tracing::error!(error = %e, "server failed");
            ExitCode::FAILURE
        }
    }
}

async fn import_oruk(settings: &Settings, path: &std::path::Path, org: &str) -> ExitCode {
    let org = match OdsCode::parse(org) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("--org: {}", e.message);
            return ExitCode::from(2);
        }
    };
    let store = match socialrx_store::connect(&settings.database_url, &Default::default()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot open the database: {e}");
            return ExitCode::FAILURE;
        }
    };
    match crate::import::run(store.as_ref(), org.as_str(), path).await {
        Ok(report) => {
            for (id, reason) in &report.rejected {
                println!("rejected {id}: {reason}");
            }
            for (id, reason) in &report.flagged {
                println!("flagged {id}: {reason}");
            }
            println!(
                "{} read: {} created, {} updated, {} unchanged, {} rejected",
                report.read,
                report.created,
                report.updated,
                report.unchanged,
                report.rejected.len()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

async fn retention(
    settings: &Settings,
    older_than: std::time::Duration,
    dry_run: bool,
) -> ExitCode {
    crate::telemetry::init(settings);
    let Ok(age) = time::Duration::try_from(older_than) else {
        eprintln!("--older-than is too long");
        return ExitCode::from(2);
    };
    let cutoff = time::OffsetDateTime::now_utc() - age;
    let store = match socialrx_store::connect(&settings.database_url, &Default::default()).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot open the database: {e}");
            return ExitCode::FAILURE;
        }
    };
    match store.anonymise_people(cutoff, dry_run).await {
        Ok(report) => {
            let verb = if dry_run {
                "would anonymise"
            } else {
                "anonymised"
            };
            let cutoff = cutoff
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default();
            println!(
                "{verb} {} people ({} referrals) whose referrals all closed before {cutoff}",
                report.people, report.referrals
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("retention failed: {e}");
            ExitCode::FAILURE
        }
    }
}

fn token(settings: &Settings, org: &str, sub: &str, roles: &[String], ttl: i64) -> ExitCode {
    if let Err(e) = OdsCode::parse(org) {
        eprintln!("--org: {}", e.message);
        return ExitCode::from(2);
    }
    for role in roles {
        if let Err(e) = Role::parse(role) {
            eprintln!("--roles: {}", e.message);
            return ExitCode::from(2);
        }
    }
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = socialrx_api::Claims {
        sub: sub.to_owned(),
        org: org.to_ascii_uppercase(),
        roles: roles.to_vec(),
        iat: now,
        nbf: None,
        exp: now + ttl,
        iss: settings.jwt_issuer.clone(),
        aud: settings.jwt_audience.clone(),
    };
    if settings.jwt_secret.is_empty() {
        eprintln!("jwt_secret is empty (HS256 is off): tokens come from your identity provider");
        return ExitCode::from(2);
    }
    match socialrx_api::mint_hs256(settings.jwt_secret.as_bytes(), &claims) {
        Ok(t) => {
            println!("{t}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot sign the token: {e}");
            ExitCode::FAILURE
        }
    }
}
