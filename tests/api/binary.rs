//! The real `socialrx` binary: its command line, its configuration errors, its logs, and
//! what survives a crash.
//!
//! The command-line tests are here with the helpers (`run`, `Server`); `logs`, `stopping`,
//! `retention` and `start_up` hold the rest.

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use socialrx_store::testing::{TestDatabase, require_postgres_in_ci};

use crate::support::*;

mod logs;
mod retention;
mod start_up;
mod stopping;

const BIN: &str = env!("CARGO_BIN_EXE_socialrx");

/// Runs the binary to completion with a clean environment of our choosing.
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut command = Command::new(BIN);
    command.args(args).current_dir(dir.path()).env_clear();
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["token", "--help"],
        vec!["openapi", "--help"],
    ] {
        let (code, out, _) = run(&args, &[]);
        assert_eq!(code, 0, "{args:?}");
        assert!(out.contains("Usage:"), "{args:?}: {out}");
    }
    let (_, out, _) = run(&["token", "--help"], &[]);
    assert!(out.contains("--org") && out.contains("--roles"));
}

/// The README's table of commands is the binary's own list, and says how many there are.
#[test]
fn the_readme_lists_every_command_of_the_binary() {
    let (code, out, _) = run(&["--help"], &[]);
    assert_eq!(code, 0);
    let commands: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .collect();
    assert!(commands.len() >= 4, "{out}");
    let readme = include_str!("../../README.md");
    let listed: Vec<&str> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("| `socialrx "))
        .filter_map(|l| l.split([' ', '`']).next())
        .collect();
    assert_eq!(listed, commands, "the README's table of commands");
    let words = [
        "", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    ];
    let count = words.get(commands.len()).copied().unwrap_or("many");
    assert!(
        readme.contains(&format!("The binary has {count} commands")),
        "the README should say the binary has {count} commands"
    );
}

#[test]
fn the_openapi_command_prints_the_committed_spec() {
    let (code, out, _) = run(&["openapi"], &[]);
    assert_eq!(code, 0);
    let printed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        printed,
        serde_json::to_value(socialrx_api::openapi()).unwrap()
    );
}

#[test]
fn invalid_configuration_names_the_setting_and_exits_2() {
    let cases: &[(&[(&str, &str)], &str)] = &[
        (&[("SOCIALRX_BIND", "not-an-address")], "bind"),
        (&[("SOCIALRX_MAX_CONNECTIONS", "many")], "max_connections"),
        (&[("DATABASE_URL", "mysql://localhost/x")], "DATABASE_URL"),
        (&[("SOCIALRX_ENVIRONMENT", "staging")], "environment"),
        (&[("SOCIALRX_ENVIRONMENT", "production")], "jwt_secret"),
        (&[("SOCIALRX_JWT_SECRET", "short")], "jwt_secret"),
        (&[("SOCIALRX_LOG_FORMAT", "xml")], "log_format"),
        (
            &[("SOCIALRX_TRUSTED_PROXIES", "10.0.0.0/8, proxy")],
            "trusted_proxies",
        ),
        (
            &[("SOCIALRX_WEBHOOK_ALLOW_PRIVATE_RECEIVERS", "sometimes")],
            "webhook_allow_private_receivers",
        ),
    ];
    for (env, setting) in cases {
        let (code, _, err) = run(&["serve"], env);
        assert_eq!(code, 2, "{env:?}: {err}");
        assert!(
            err.contains(setting),
            "{env:?} should name {setting}: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one clear message: {err}");
    }
}

#[test]
fn a_config_file_is_read_and_its_mistakes_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("socialrx.toml");
    std::fs::write(
        &file,
        "jwt_issuer = \"https://idp.example.org\"\nworkerz = 4\n",
    )
    .unwrap();
    let (code, _, err) = run(&["--config", file.to_str().unwrap(), "serve"], &[]);
    assert_eq!(code, 2);
    assert!(err.contains("workerz"), "{err}");

    std::fs::write(&file, "jwt_issuer = \"https://idp.example.org\"\n").unwrap();
    let (code, out, _) = run(
        &[
            "--config",
            file.to_str().unwrap(),
            "token",
            "--org",
            "Y02794",
            "--sub",
            "a",
            "--roles",
            "referrer",
        ],
        &[],
    );
    assert_eq!(code, 0);
    let payload = out.trim().split('.').nth(1).unwrap();
    use base64::Engine;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        claims["iss"], "https://idp.example.org",
        "the file's setting was used"
    );
    assert_eq!(claims["org"], "Y02794");
    assert_eq!(claims["roles"], serde_json::json!(["referrer"]));
}

#[test]
fn token_refuses_unknown_roles_and_bad_org_codes() {
    let (code, _, err) = run(
        &[
            "token",
            "--org",
            "Y02794",
            "--sub",
            "a",
            "--roles",
            "superuser",
        ],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--roles"), "{err}");
    let (code, _, err) = run(
        &["token", "--org", "?", "--sub", "a", "--roles", "referrer"],
        &[],
    );
    assert_eq!(code, 2);
    assert!(err.contains("--org"), "{err}");
}

#[tokio::test]
async fn migrate_brings_a_new_database_up_to_date() {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    let (code, _, err) = run(&["migrate"], &[("DATABASE_URL", &db.url)]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("up to date"));
    let (code, _, _) = run(&["migrate"], &[("DATABASE_URL", &db.url)]);
    assert_eq!(code, 0, "migrating twice is harmless");
    db.drop_database().await;
}

/// A running `socialrx serve` child process.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) base: String,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Server {
    pub(crate) async fn start(database_url: &str, extra: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = dir.path().join("server.log");
        let mut command = Command::new(BIN);
        command
            .arg("serve")
            .current_dir(dir.path())
            .env_clear()
            .env("SOCIALRX_BIND", format!("127.0.0.1:{port}"))
            .env("DATABASE_URL", database_url)
            .env("SOCIALRX_WORKERS", "2")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        for (k, v) in extra {
            command.env(k, v);
        }
        let child = command.spawn().unwrap();
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            _dir: dir,
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        for _ in 0..100 {
            if let Ok(r) = client.get(format!("{}/readyz", self.base)).send().await
                && r.status() == 200
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the server did not become ready: {}", self.log_text());
    }

    pub(crate) fn log_text(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    pub(crate) fn token(&self, roles: &str) -> String {
        let (code, out, err) = run(
            &[
                "token",
                "--org",
                ORG,
                "--sub",
                "crash-test",
                "--roles",
                roles,
            ],
            &[],
        );
        assert_eq!(code, 0, "{err}");
        out.trim().to_owned()
    }

    fn sigterm(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
