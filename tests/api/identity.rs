//! Tokens from a production identity provider: RS256 and ES256 public keys from PEM files
//! or a JWKS file, and the attacks a verifier must refuse.

use jsonwebtoken::{Algorithm, EncodingKey, Header};

use crate::support::*;

const KEYS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures/keys");

fn key(name: &str) -> Vec<u8> {
    std::fs::read(format!("{KEYS}/{name}")).unwrap()
}

fn claims(now: i64) -> socialrx_api::Claims {
    socialrx_api::Claims {
        sub: "idp|12345".into(),
        org: ORG.into(),
        roles: vec!["referrer".into()],
        exp: now + 600,
        nbf: None,
        iat: now,
        iss: "https://idp.example.nhs.uk".into(),
        aud: "socialrx-api".into(),
    }
}

fn sign(
    alg: Algorithm,
    kid: Option<&str>,
    key: &EncodingKey,
    claims: &socialrx_api::Claims,
) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(String::from);
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

async fn idp_app(hs256_too: bool) -> TestApp {
    spawn_app_with(|s| {
        s.jwt_issuer = "https://idp.example.nhs.uk".into();
        s.jwt_audience = "socialrx-api".into();
        s.jwt_public_keys = format!("{KEYS}/rsa-public.pem");
        s.jwt_jwks_file = format!("{KEYS}/jwks.json");
        if !hs256_too {
            s.jwt_secret = String::new();
        }
    })
    .await
}

/// The answer to a GP system's read of what its organisation sent (the claims' roles:
/// `referrer`).
async fn status(app: &TestApp, token: &str) -> u16 {
    app.get("/v1/sent-referrals")
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn rs256_and_es256_tokens_from_pem_and_jwks_keys_are_accepted() {
    let app = idp_app(false).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let rsa = EncodingKey::from_rsa_pem(&key("rsa-private.pem")).unwrap();
    let ec = EncodingKey::from_ec_pem(&key("ec-private.pem")).unwrap();
    assert_eq!(
        status(&app, &sign(Algorithm::RS256, None, &rsa, &claims(now))).await,
        200,
        "RS256, PEM key"
    );
    assert_eq!(
        status(
            &app,
            &sign(Algorithm::RS256, Some("rsa-1"), &rsa, &claims(now))
        )
        .await,
        200,
        "RS256, JWKS kid"
    );
    assert_eq!(
        status(
            &app,
            &sign(Algorithm::ES256, Some("ec-1"), &ec, &claims(now))
        )
        .await,
        200,
        "ES256, JWKS kid"
    );
    app.finish().await;
}

#[tokio::test]
async fn the_attack_matrix_is_refused_with_401() {
    let app = idp_app(true).await;
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let rsa = EncodingKey::from_rsa_pem(&key("rsa-private.pem")).unwrap();
    let other = EncodingKey::from_rsa_pem(&key("rsa-other-private.pem")).unwrap();
    let ec = EncodingKey::from_ec_pem(&key("ec-private.pem")).unwrap();
    let mut expired = claims(now);
    expired.exp = now - 600;
    let mut early = claims(now);
    early.nbf = Some(now + 600);
    let mut wrong_aud = claims(now);
    wrong_aud.aud = "another-api".into();
    let mut wrong_iss = claims(now);
    wrong_iss.iss = "https://evil.example".into();

    let cases: Vec<(&str, String)> = vec![
        (
            "signed by a key we do not trust",
            sign(Algorithm::RS256, None, &other, &claims(now)),
        ),
        (
            "an unknown kid",
            sign(Algorithm::ES256, Some("ec-9"), &ec, &claims(now)),
        ),
        // HS/RS confusion: HMAC with the RSA *public* key as the secret.
        (
            "HS256 keyed with our public key",
            sign(
                Algorithm::HS256,
                None,
                &EncodingKey::from_secret(&key("rsa-public.pem")),
                &claims(now),
            ),
        ),
        ("expired", sign(Algorithm::RS256, None, &rsa, &expired)),
        ("not yet valid", sign(Algorithm::RS256, None, &rsa, &early)),
        (
            "wrong audience",
            sign(Algorithm::RS256, None, &rsa, &wrong_aud),
        ),
        (
            "wrong issuer",
            sign(Algorithm::RS256, None, &rsa, &wrong_iss),
        ),
        ("alg none", {
            let good = sign(Algorithm::RS256, None, &rsa, &claims(now));
            let payload = good.split('.').nth(1).unwrap();
            format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{payload}.")
        }),
        ("signature stripped", {
            let good = sign(Algorithm::RS256, None, &rsa, &claims(now));
            let mut parts: Vec<&str> = good.split('.').collect();
            parts[2] = "";
            parts.join(".")
        }),
        (
            "an algorithm we never accept",
            sign(Algorithm::RS512, None, &rsa, &claims(now)),
        ),
    ];
    for (case, token) in cases {
        let response = app
            .get("/v1/referrals")
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{case}");
        problem(response, 401).await;
    }
    app.finish().await;
}

#[tokio::test]
async fn with_hs256_off_a_development_token_is_refused() {
    let app = idp_app(false).await;
    let token = app.referrer();
    assert_eq!(status(&app, &token).await, 401);
    app.finish().await;
}
