//! The test harness: the real application on a random port with a fresh database, and
//! typed helpers that speak HTTP to it like any client would.

use std::sync::Arc;

use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use socialrx_server::config::{DEVELOPMENT_SECRET, Settings};
use socialrx_server::startup::Application;
use socialrx_store::testing::{TestDatabase, require_postgres_in_ci};

pub const ORG: &str = "Y02794";
pub const OTHER_ORG: &str = "Y11111";

pub struct TestApp {
    pub address: String,
    pub client: Client,
    pub db: Arc<TestDatabase>,
    pub settings: Settings,
}

/// Starts the app in-process on port 0 with a fresh database.
pub async fn spawn_app() -> TestApp {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    spawn_app_on(Arc::new(db)).await
}

pub async fn spawn_app_on(db: Arc<TestDatabase>) -> TestApp {
    spawn_app_configured(db, |_| {}).await
}

/// Starts the app with settings adjusted by `edit` (keys, limits, ...).
pub async fn spawn_app_with(edit: impl FnOnce(&mut Settings)) -> TestApp {
    require_postgres_in_ci();
    let db = TestDatabase::create().await;
    spawn_app_configured(Arc::new(db), edit).await
}

/// Another instance of the app, with its own settings, on a database already in use (two
/// instances behind one load balancer).
pub async fn spawn_app_on_with(db: Arc<TestDatabase>, edit: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_configured(db, edit).await
}

async fn spawn_app_configured(db: Arc<TestDatabase>, edit: impl FnOnce(&mut Settings)) -> TestApp {
    let mut settings = Settings {
        bind: "127.0.0.1:0".into(),
        database_url: db.url.clone(),
        workers: 2,
        max_connections: 5,
        ..Settings::default()
    };
    edit(&mut settings);
    let app = Application::build(&settings).await.expect("the app starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: Client::builder().build().unwrap(),
        db,
        settings,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.client.get(self.url(path))
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.client.post(self.url(path))
    }

    /// A token for `org` with `roles`, signed with the app's secret.
    pub fn token(&self, org: &str, roles: &[&str]) -> String {
        self.token_with(|c| {
            c.org = org.into();
            c.roles = roles.iter().map(|r| r.to_string()).collect();
        })
    }

    pub fn token_with(&self, edit: impl FnOnce(&mut socialrx_api::Claims)) -> String {
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let mut claims = socialrx_api::Claims {
            sub: "user-1".into(),
            org: ORG.into(),
            roles: vec!["referrer".into()],
            exp: now + 600,
            nbf: None,
            iat: now,
            iss: self.settings.jwt_issuer.clone(),
            aud: self.settings.jwt_audience.clone(),
        };
        edit(&mut claims);
        socialrx_api::mint_hs256(DEVELOPMENT_SECRET.as_bytes(), &claims).unwrap()
    }

    pub fn referrer(&self) -> String {
        self.token(ORG, &["referrer"])
    }

    pub async fn post_referral(&self, token: &str, body: &Value) -> Response {
        self.post("/v1/referrals")
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Posts a valid referral and returns the 201 body.
    pub async fn create_referral(&self, token: &str, body: &Value) -> Value {
        let response = self.post_referral(token, body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn get_json(&self, path: &str, token: &str) -> (u16, Value) {
        let response = self.get(path).bearer_auth(token).send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Registers a partner form of `org` (as its admin) allowed on `origins`; returns the
    /// partner's id and key.
    pub async fn register_partner(
        &self,
        org: &str,
        name: &str,
        origins: &[&str],
    ) -> (String, String) {
        let response = self
            .post("/v1/partners")
            .bearer_auth(self.token(org, &["admin"]))
            .json(&json!({"name": name, "allowed_origins": origins}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        let body: Value = response.json().await.unwrap();
        (
            body["id"].as_str().unwrap().to_owned(),
            body["key"].as_str().unwrap().to_owned(),
        )
    }

    /// A self-referral request with `key` (and nothing else a browser would add).
    pub fn self_referral(&self, key: &str) -> RequestBuilder {
        self.post("/v1/self-referrals").header("X-Partner-Key", key)
    }

    pub async fn post_self_referral(&self, key: &str, body: &Value) -> Response {
        self.self_referral(key).json(body).send().await.unwrap()
    }

    pub async fn finish(self) {
        if let Ok(db) = Arc::try_unwrap(self.db) {
            db.drop_database().await;
        }
    }
}

/// A valid referral body, as a GP system would send it.
pub fn referral_body() -> Value {
    json!({
        "person": {
            "nhs_number": "9434765919",
            "given_name": "Margaret",
            "family_name": "Hughes",
            "date_of_birth": "1971-03-14",
            "postcode": "hd1 2rs",
            "phone": "01484 496000",
            "preferred_contact": "phone",
            "language": "English",
            "interpreter_needed": false,
            "accessibility_needs": "Mornings are difficult",
            "registered_practice": "B85001"
        },
        "source": "gp",
        "referrer": {"ods_code": "B85001", "name": "Dr Asha Patel", "role": "GP"},
        "reasons": ["low_mood_anxiety", "long_term_condition", "carer_support"],
        "notes": "Cares for her adult son. Interested in local history and crochet.",
        "urgency": "routine",
        "consent": {"given": true, "given_at": "2026-11-20T10:15:00Z", "method": "verbal"}
    })
}

/// Asserts a problem+json response and returns its body.
pub async fn problem(response: Response, status: u16) -> Value {
    assert_eq!(response.status().as_u16(), status);
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(content_type, "application/problem+json");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(
        body["type"]
            .as_str()
            .unwrap()
            .starts_with("https://socialrx.org.uk/problems/")
    );
    assert!(body["title"].is_string() && body["detail"].is_string());
    body
}

/// The `field` of each listed error, in order.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The error listed for `field`.
pub fn error_for<'a>(problem: &'a Value, field: &str) -> &'a Value {
    problem["errors"]
        .as_array()
        .and_then(|a| a.iter().find(|e| e["field"] == field))
        .unwrap_or_else(|| panic!("no error for {field} in {problem}"))
}

/// A valid self-referral, as a person fills in a partner's form (no NHS number).
pub fn self_referral_body() -> Value {
    json!({
        "given_name": "Delroy",
        "family_name": "Campbell",
        "date_of_birth": "1958-07-02",
        "postcode": "b11 4bw",
        "phone": "0121 496 0000",
        "preferred_contact": "phone",
        "help_with": ["loneliness_isolation", "physical_activity"],
        "help_with_details": "Since I retired I hardly see anyone.",
        "consent": {"given": true}
    })
}
