//! Just enough of the W3C WebDriver protocol to drive Debian's Chromium through its
//! ChromeDriver: a session, navigation, elements, keys, clicks, frames and scripts. Built
//! on reqwest (already a test dependency) rather than a WebDriver crate, so the browser
//! test adds no dependency and needs nothing from npm.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// The key W3C WebDriver names an element reference by.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// How long to wait for anything the page does.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// Chromium's flags for this machine: headless, no sandbox (root in a container), and no
/// background connections (the network is closed, and they would only slow start-up).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1024,1400",
];

/// Chromium and its ChromeDriver, found on `PATH` (or named by `CHROMIUM` and
/// `CHROMEDRIVER`). `None` when either is missing.
pub fn find_browser() -> Option<(PathBuf, PathBuf)> {
    let chromium = from_env_or_path("CHROMIUM", &["chromium", "chromium-browser"])?;
    let driver = from_env_or_path("CHROMEDRIVER", &["chromedriver"])?;
    Some((chromium, driver))
}

fn from_env_or_path(var: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(var) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let dirs = std::env::var_os("PATH")?;
    std::env::split_paths(&dirs)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// A running ChromeDriver with one Chromium session. Both end when this is dropped.
pub struct Browser {
    client: reqwest::Client,
    session: String,
    driver: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    pub async fn start(chromium: &Path, chromedriver: &Path) -> Browser {
        Self::start_with(chromium, chromedriver, &[]).await
    }

    /// As [`Browser::start`], with more Chromium flags.
    pub async fn start_with(chromium: &Path, chromedriver: &Path, extra: &[&str]) -> Browser {
        let port = free_port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let client = reqwest::Client::new();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        loop {
            let ready = client.get(format!("{base}/status")).send().await;
            if let Ok(r) = ready
                && let Ok(v) = r.json::<Value>().await
                && v["value"]["ready"] == true
            {
                break;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "chromedriver did not get ready"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| s.to_string()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.extend(extra.iter().map(|s| s.to_string()));
        let created: Value = client
            .post(format!("{base}/session"))
            .json(&json!({"capabilities": {"alwaysMatch": {
                "browserName": "chrome",
                "goog:chromeOptions": {"binary": chromium, "args": args}
            }}}))
            .send()
            .await
            .expect("chromedriver answers")
            .json()
            .await
            .expect("a JSON answer");
        let id = created["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no browser session: {created}"));
        Browser {
            client,
            session: format!("{base}/session/{id}"),
            driver,
            _profile: profile,
        }
    }

    async fn command(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, String> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|e| e.to_string())?;
        let ok = response.status().is_success();
        let answer: Value = response.json().await.map_err(|e| e.to_string())?;
        if ok {
            Ok(answer["value"].clone())
        } else {
            Err(format!(
                "{}: {}",
                answer["value"]["error"],
                answer["value"]["message"].as_str().unwrap_or_default()
            ))
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.command(reqwest::Method::POST, path, Some(body))
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    async fn get(&self, path: &str) -> Value {
        self.command(reqwest::Method::GET, path, None)
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn goto(&self, url: &str) {
        self.post("/url", json!({"url": url})).await;
    }

    /// The first element matching `css`, waiting for it to appear.
    pub async fn find(&self, css: &str) -> Element<'_> {
        let started = Instant::now();
        loop {
            let found = self
                .command(
                    reqwest::Method::POST,
                    "/element",
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            match found {
                Ok(v) => {
                    return Element {
                        browser: self,
                        id: v[ELEMENT]
                            .as_str()
                            .expect("an element reference")
                            .to_owned(),
                    };
                }
                Err(e) if started.elapsed() > PATIENCE => panic!("no element {css}: {e}"),
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the current frame.
    pub async fn execute(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/sync", json!({"script": script, "args": args}))
            .await
    }

    /// Runs `script` that calls its last argument with its result, in the current frame.
    pub async fn execute_async(&self, script: &str, args: Vec<Value>) -> Value {
        self.post("/execute/async", json!({"script": script, "args": args}))
            .await
    }

    /// Waits until `script` returns something truthy; returns that.
    pub async fn wait_for(&self, what: &str, script: &str) -> Value {
        let started = Instant::now();
        loop {
            let v = self.execute(script, vec![]).await;
            if !(v.is_null() || v == false || v == "" || v == 0) {
                return v;
            }
            if started.elapsed() > PATIENCE {
                panic!("gave up waiting for {what}");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Moves into the `<iframe>` `frame`.
    pub async fn enter_frame(&self, frame: &Element<'_>) {
        self.post("/frame", json!({"id": {ELEMENT: frame.id}}))
            .await;
    }

    /// A PNG of the viewport, saved to `path` (for looking at what a test saw).
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        let png = self.get("/screenshot").await;
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(png.as_str().unwrap_or_default())
            .expect("base64 PNG");
        std::fs::write(path, bytes).expect("the screenshot is written");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ending the session quits Chromium; killing ChromeDriver alone would leave it
        // running. Drop cannot await, so this one request is written by hand.
        use std::io::{Read, Write};
        if let Some((address, path)) = self
            .session
            .strip_prefix("http://")
            .and_then(|s| s.split_once('/'))
            && let Ok(mut stream) = std::net::TcpStream::connect(address)
        {
            let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
            let _ = write!(
                stream,
                "DELETE /{path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            let _ = stream.read_to_end(&mut Vec::new());
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
}

impl Element<'_> {
    fn path(&self, rest: &str) -> String {
        format!("/element/{}{rest}", self.id)
    }

    pub async fn type_text(&self, text: &str) {
        self.browser
            .post(&self.path("/value"), json!({"text": text}))
            .await;
    }

    pub async fn click(&self) {
        self.browser.post(&self.path("/click"), json!({})).await;
    }

    pub async fn text(&self) -> String {
        self.browser
            .get(&self.path("/text"))
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    pub async fn attribute(&self, name: &str) -> Option<String> {
        self.browser
            .get(&self.path(&format!("/attribute/{name}")))
            .await
            .as_str()
            .map(str::to_owned)
    }

    pub async fn is_selected(&self) -> bool {
        self.browser.get(&self.path("/selected")).await == true
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Flags that keep Chromium on this machine: every host name but the loopback ones fails
/// to resolve, and anything else goes to a proxy that is not there (Chromium always
/// bypasses proxies for loopback addresses). A page that needs the internet breaks.
pub const OFFLINE: &[&str] = &[
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
    "--proxy-server=http://127.0.0.1:9",
];

/// A browser with JavaScript switched off, as some people browse.
pub const NO_SCRIPT: &[&str] = &["--blink-settings=scriptEnabled=false"];

/// The WebDriver key for Enter, for typing into a field.
pub const ENTER: &str = "\u{E007}";
