//! Which websites may send self-referrals from a browser: CORS for exactly the origins of
//! an active partner, and of the key's own partner on an actual response.

use super::*;

#[tokio::test]
async fn a_preflight_is_allowed_for_exactly_the_origins_an_active_partner_lists() {
    let app = spawn_app().await;
    let (id, _) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    app.register_partner(OTHER_ORG, "Age UK", &[OTHER_SITE])
        .await;
    let preflight = |origin: &str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/v1/self-referrals"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type,x-partner-key,idempotency-key",
            )
            .send()
    };
    for site in [PARTNER_SITE, OTHER_SITE] {
        let response = preflight(site).await.unwrap();
        assert_eq!(response.status(), 204);
        assert_eq!(header(&response, "access-control-allow-origin"), Some(site));
        assert_eq!(
            header(&response, "access-control-allow-methods"),
            Some("POST")
        );
        assert_eq!(
            header(&response, "access-control-allow-headers"),
            Some("Content-Type, X-Partner-Key, Idempotency-Key")
        );
        assert!(header(&response, "vary").unwrap().contains("Origin"));
        assert!(header(&response, "access-control-allow-credentials").is_none());
    }
    for origin in [
        STRANGER,
        "null",
        "https://www.carers-birmingham.example.org.evil.net",
    ] {
        let response = preflight(origin).await.unwrap();
        assert!(
            response
                .headers()
                .keys()
                .all(|h| !h.as_str().starts_with("access-control-")),
            "{origin} got CORS headers"
        );
    }

    // Once the partner is revoked, its origin is a stranger too.
    app.client
        .delete(app.url(&format!("/v1/partners/{id}")))
        .bearer_auth(app.token(ORG, &["admin"]))
        .send()
        .await
        .unwrap();
    let response = preflight(PARTNER_SITE).await.unwrap();
    assert!(header(&response, "access-control-allow-origin").is_none());

    // OPTIONS that is not a preflight is just a method this route does not have.
    let response = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/v1/self-referrals"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&response, "allow"), Some("POST"));
    problem(response, 405).await;
    app.finish().await;
}

#[tokio::test]
async fn an_actual_response_allows_only_the_origins_of_the_keys_partner() {
    let app = spawn_app().await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    app.register_partner(ORG, "Age UK", &[OTHER_SITE]).await;
    let post = |origin: &str, key: &str| {
        app.self_referral(key)
            .header("Origin", origin)
            .json(&self_referral_body())
            .send()
    };

    let ok = post(PARTNER_SITE, &key).await.unwrap();
    assert_eq!(ok.status(), 201);
    assert_eq!(
        header(&ok, "access-control-allow-origin"),
        Some(PARTNER_SITE)
    );
    assert_eq!(header(&ok, "vary"), Some("Origin"));
    assert!(
        header(&ok, "access-control-expose-headers")
            .unwrap()
            .contains("Retry-After")
    );

    // Another partner's website may not use this key, nor may anyone else's.
    for origin in [OTHER_SITE, STRANGER] {
        let refused = post(origin, &key).await.unwrap();
        assert!(header(&refused, "access-control-allow-origin").is_none());
        let p = problem(refused, 403).await;
        assert!(p["detail"].as_str().unwrap().contains(origin), "{p}");
    }

    // A refusal before the partner is known follows the preflight rule, so a partner's
    // own form can tell the person what went wrong.
    let no_key = post(PARTNER_SITE, "srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .unwrap();
    assert_eq!(
        header(&no_key, "access-control-allow-origin"),
        Some(PARTNER_SITE)
    );
    problem(no_key, 401).await;
    let stranger = post(STRANGER, "srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .await
        .unwrap();
    assert!(header(&stranger, "access-control-allow-origin").is_none());

    // The embedded form is served by us and posts same-origin.
    let own = post(&app.address, &key).await.unwrap();
    assert_eq!(own.status(), 201);
    assert!(header(&own, "access-control-allow-origin").is_none());

    // Only the two accepted ones were kept.
    let (_, page) = app
        .get_json("/v1/referrals", &app.token(ORG, &["coordinator"]))
        .await;
    assert_eq!(page["items"].as_array().unwrap().len(), 2);
    app.finish().await;
}
