//! Bearer tokens: every way a token can be wrong is a 401 problem with
//! `WWW-Authenticate`; a token without the right role is a 403.

use reqwest::Response;

use crate::support::*;

async fn unauthorized(response: Response) -> serde_json::Value {
    assert!(
        response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Bearer"),
        "401 must say how to authenticate"
    );
    problem(response, 401).await
}

#[tokio::test]
async fn a_request_without_a_token_is_a_401() {
    let app = spawn_app().await;
    unauthorized(app.get("/v1/referrals").send().await.unwrap()).await;
    unauthorized(
        app.post("/v1/referrals")
            .json(&referral_body())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let basic = app
        .get("/v1/referrals")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .unwrap();
    unauthorized(basic).await;
    app.finish().await;
}

#[tokio::test]
async fn tokens_that_are_expired_foreign_or_tampered_are_refused() {
    let app = spawn_app().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let cases: Vec<(&str, String)> = vec![
        ("expired", app.token_with(|c| c.exp = now - 3600)),
        (
            "not yet valid",
            app.token_with(|c| c.nbf = Some(now + 3600)),
        ),
        (
            "wrong issuer",
            app.token_with(|c| c.iss = "someone-else".into()),
        ),
        (
            "wrong audience",
            app.token_with(|c| c.aud = "another-api".into()),
        ),
        (
            "org is not an ODS code",
            app.token_with(|c| c.org = "not an org!".into()),
        ),
        ("garbage", "not.a.jwt".into()),
        ("signed with another secret", {
            let mut claims = socialrx_api::Claims {
                sub: "x".into(),
                org: ORG.into(),
                roles: vec!["referrer".into()],
                exp: now + 600,
                nbf: None,
                iat: now,
                iss: "socialrx".into(),
                aud: "socialrx".into(),
            };
            claims.sub = "mallory".into();
            socialrx_api::mint_hs256(b"another-secret-that-is-long-enough-000", &claims).unwrap()
        }),
        ("alg none", {
            let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
            let payload = b64(format!(
                r#"{{"sub":"m","org":"{ORG}","roles":["admin","referrer"],"exp":{},"iat":{now},"iss":"socialrx","aud":"socialrx"}}"#,
                now + 600
            ).as_bytes());
            format!("{header}.{payload}.")
        }),
        ("tampered payload", {
            let good = app.referrer();
            let mut parts: Vec<String> = good.split('.').map(String::from).collect();
            parts[1] = b64(
                format!(r#"{{"sub":"m","org":"{OTHER_ORG}","roles":["referrer"],"exp":{},"iat":{now},"iss":"socialrx","aud":"socialrx"}}"#, now + 600).as_bytes(),
            );
            parts.join(".")
        }),
    ];
    for (case, token) in cases {
        let response = app
            .get("/v1/referrals")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{case}");
        unauthorized(response).await;
    }
    app.finish().await;
}

#[tokio::test]
async fn a_token_missing_org_or_roles_is_refused() {
    let app = spawn_app().await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    #[derive(serde::Serialize)]
    struct NoOrg {
        sub: &'static str,
        roles: Vec<&'static str>,
        exp: i64,
        iat: i64,
        iss: &'static str,
        aud: &'static str,
    }
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &NoOrg {
            sub: "x",
            roles: vec!["referrer"],
            exp: now + 60,
            iat: now,
            iss: "socialrx",
            aud: "socialrx",
        },
        &jsonwebtoken::EncodingKey::from_secret(
            socialrx_server::config::DEVELOPMENT_SECRET.as_bytes(),
        ),
    )
    .unwrap();
    unauthorized(
        app.get("/v1/referrals")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    app.finish().await;
}

#[tokio::test]
async fn roles_that_do_not_grant_referrals_are_a_403() {
    let app = spawn_app().await;
    for roles in [
        vec!["directory_editor"],
        vec!["admin"],
        vec!["someone_elses_role"],
        vec![],
    ] {
        let token = app.token(ORG, &roles);
        let response = app.post_referral(&token, &referral_body()).await;
        let body = problem(response, 403).await;
        assert!(
            body["detail"].as_str().unwrap().contains("referrer"),
            "{roles:?}"
        );
        problem(
            app.get("/v1/referrals")
                .bearer_auth(&token)
                .send()
                .await
                .unwrap(),
            403,
        )
        .await;
    }
    for role in ["referrer", "link_worker", "coordinator"] {
        let token = app.token(ORG, &[role]);
        app.create_referral(&token, &referral_body()).await;
    }
    app.finish().await;
}

fn b64(input: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(input)
}
