//! Typed helpers for the lifecycle and caseload steps, speaking HTTP like any client.

use reqwest::{RequestBuilder, Response};
use serde_json::{Value, json};

use crate::support::*;

/// A valid NHS number for `seed`: nine digits from the seed and the modulus 11 check digit
/// (seeds whose check digit would be 10 are skipped to the next).
pub fn nhs_number(seed: u32) -> String {
    let mut n = seed;
    loop {
        let body = format!("{:09}", 400_000_000 + n);
        let sum: u32 = body
            .bytes()
            .zip((2..=10).rev())
            .map(|(d, w)| u32::from(d - b'0') * w)
            .sum();
        match 11 - sum % 11 {
            10 => n += 1,
            11 => return format!("{body}0"),
            check => return format!("{body}{check}"),
        }
    }
}

/// A referral for a person of their own: `n` picks the NHS number and the name, so no two
/// are flagged as possible duplicates of each other.
pub fn person_body(n: u32) -> Value {
    let mut body = referral_body();
    body["person"]["nhs_number"] = nhs_number(n).into();
    body["person"]["given_name"] = format!("Person{n}").into();
    body
}

pub fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

impl TestApp {
    pub fn put(&self, path: &str) -> RequestBuilder {
        self.client.put(self.url(path))
    }

    pub fn delete(&self, path: &str) -> RequestBuilder {
        self.client.delete(self.url(path))
    }

    pub fn coordinator(&self) -> String {
        self.token(ORG, &["coordinator"])
    }

    /// A link worker's token: `subject` is what their link worker record names.
    pub fn link_worker_token(&self, subject: &str) -> String {
        self.token_with(|c| {
            c.sub = subject.into();
            c.roles = vec!["link_worker".into()];
        })
    }

    pub async fn post_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.post(path)
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_json(&self, path: &str, token: &str, body: &Value) -> Response {
        self.client
            .put(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap()
    }

    /// Adds a link worker (as a coordinator) and returns the 201 body.
    pub async fn create_link_worker(&self, subject: &str, capacity: u32) -> Value {
        let response = self
            .post_json(
                "/v1/link-workers",
                &self.coordinator(),
                &json!({"subject": subject, "display_name": format!("Worker {subject}"), "capacity": capacity}),
            )
            .await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn transition(&self, token: &str, referral: &str, body: Value) -> Response {
        self.post_json(
            &format!("/v1/referrals/{referral}/transitions"),
            token,
            &body,
        )
        .await
    }

    /// Moves a referral as a coordinator and expects 201.
    pub async fn move_to(&self, referral: &str, body: Value) -> Value {
        let response = self.transition(&self.coordinator(), referral, body).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
        response.json().await.unwrap()
    }

    pub async fn assign(&self, referral: &str, body: Value) -> Response {
        self.post_json(
            &format!("/v1/referrals/{referral}/assignment"),
            &self.coordinator(),
            &body,
        )
        .await
    }

    /// A referral of its own person, accepted and assigned to `worker`; returns its id.
    pub async fn assigned_referral(&self, n: u32, worker: &str) -> String {
        let id = id_of(
            &self
                .create_referral(&self.referrer(), &person_body(n))
                .await,
        );
        self.move_to(&id, json!({"to": "accepted"})).await;
        let response = self.assign(&id, json!({"link_worker_id": worker})).await;
        assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
        id
    }

    /// Pretends the referral was received `days` ago, so that contacts may be dated back:
    /// none may be dated before the referral was received.
    pub async fn received_days_ago(&self, referral: &str, days: i64) {
        self.db
            .backdate_referral(
                referral.parse().unwrap(),
                time::OffsetDateTime::now_utc() - time::Duration::days(days),
            )
            .await;
    }

    pub async fn record_contact(&self, token: &str, referral: &str, body: Value) -> Response {
        self.post_json(&format!("/v1/referrals/{referral}/contacts"), token, &body)
            .await
    }

    /// Reads a plan: its ETag and body.
    pub async fn plan(&self, token: &str, referral: &str) -> (String, Value) {
        let response = self
            .get(&format!("/v1/referrals/{referral}/plan"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        (etag, response.json().await.unwrap())
    }

    pub async fn put_plan(
        &self,
        token: &str,
        referral: &str,
        if_match: Option<&str>,
        body: &Value,
    ) -> Response {
        let mut request = self
            .put(&format!("/v1/referrals/{referral}/plan"))
            .bearer_auth(token)
            .json(body);
        if let Some(tag) = if_match {
            request = request.header("If-Match", tag);
        }
        request.send().await.unwrap()
    }

    pub async fn timeline_kinds(&self, token: &str, referral: &str) -> Vec<String> {
        let (status, timeline) = self
            .get_json(&format!("/v1/referrals/{referral}/timeline"), token)
            .await;
        assert_eq!(status, 200, "{timeline}");
        timeline["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| match e["kind"].as_str().unwrap() {
                "status_changed" => {
                    format!("status:{}", e["status_change"]["to"].as_str().unwrap())
                }
                kind => kind.to_owned(),
            })
            .collect()
    }
}

/// Now and days ago, as RFC 3339.
pub fn days_ago(days: i64) -> String {
    (time::OffsetDateTime::now_utc() - time::Duration::days(days))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

/// Today plus `days`, as `YYYY-MM-DD`.
pub fn day_in(days: i64) -> String {
    (time::OffsetDateTime::now_utc().date() + time::Duration::days(days)).to_string()
}

#[test]
fn generated_nhs_numbers_pass_the_check_digit() {
    for seed in 0..50 {
        let n = nhs_number(seed);
        assert!(socialrx_domain::NhsNumber::parse(&n).is_ok(), "{seed}: {n}");
    }
}
