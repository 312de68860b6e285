//! Rate limits on self-referrals: per address, per partner whoever sends for it, and shared
//! between instances of the service.

use super::*;

#[tokio::test]
async fn one_address_is_limited_and_told_when_to_come_back() {
    let app = spawn_app_with(|s| {
        s.self_referral_per_ip_per_minute = 2;
        s.self_referral_per_partner_per_minute = 100;
    })
    .await;
    let (_, key) = app.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    for _ in 0..2 {
        assert_eq!(
            app.post_self_referral(&key, &self_referral_body())
                .await
                .status(),
            201
        );
    }
    // Every attempt counts, with or without a valid key: guessing keys is limited too.
    let response = app
        .self_referral("srxpk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
        .header("Origin", PARTNER_SITE)
        .json(&self_referral_body())
        .send()
        .await
        .unwrap();
    let retry: u64 = header(&response, "retry-after").unwrap().parse().unwrap();
    assert!((1..=30).contains(&retry), "{retry}");
    assert_eq!(
        header(&response, "access-control-allow-origin"),
        Some(PARTNER_SITE),
        "the partner's form can read the 429"
    );
    let p = problem(response, 429).await;
    assert_eq!(
        p["type"],
        "https://socialrx.org.uk/problems/too-many-requests"
    );
    app.finish().await;
}

#[tokio::test]
async fn one_partner_is_limited_whoever_sends_for_it() {
    let app = spawn_app_with(|s| {
        s.self_referral_per_ip_per_minute = 100;
        s.self_referral_per_partner_per_minute = 2;
    })
    .await;
    let (_, busy) = app.register_partner(ORG, "Busy", &[PARTNER_SITE]).await;
    let (_, quiet) = app.register_partner(ORG, "Quiet", &[OTHER_SITE]).await;
    for _ in 0..2 {
        assert_eq!(
            app.post_self_referral(&busy, &self_referral_body())
                .await
                .status(),
            201
        );
    }
    let response = app.post_self_referral(&busy, &self_referral_body()).await;
    assert!(header(&response, "retry-after").is_some());
    let p = problem(response, 429).await;
    assert!(p["detail"].as_str().unwrap().contains("for this form"));
    assert_eq!(
        app.post_self_referral(&quiet, &self_referral_body())
            .await
            .status(),
        201,
        "another partner has its own allowance"
    );
    app.finish().await;
}

/// Two instances behind one load balancer share one allowance: the count is kept in the
/// database, not in each process.
#[tokio::test]
async fn two_instances_of_the_service_share_one_limit() {
    let limits = |s: &mut socialrx_server::config::Settings| {
        s.self_referral_per_ip_per_minute = 100;
        s.self_referral_per_partner_per_minute = 3;
    };
    let first = spawn_app_with(limits).await;
    let second = spawn_app_on_with(first.db.clone(), limits).await;
    let (_, key) = first.register_partner(ORG, "Carers", &[PARTNER_SITE]).await;
    // The allowance is per minute: start well inside one.
    let second_of_minute = time::OffsetDateTime::now_utc().second();
    if second_of_minute > 50 {
        tokio::time::sleep(std::time::Duration::from_secs(u64::from(
            61 - second_of_minute,
        )))
        .await;
    }
    for app in [&first, &first, &second] {
        assert_eq!(
            app.post_self_referral(&key, &self_referral_body())
                .await
                .status(),
            201
        );
    }
    // The second instance has seen one request of its own; together they have seen three.
    let response = second.post_self_referral(&key, &self_referral_body()).await;
    let retry: u64 = header(&response, "retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    let p = problem(response, 429).await;
    assert!(
        p["detail"].as_str().unwrap().contains("for this form"),
        "{p}"
    );
    drop(second);
    first.finish().await;
}
