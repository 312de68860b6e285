//! The journeys of `shared/scenarios.md`, told through the public API only: referral,
//! triage, assignment, caseload, contacts, the plan, the activity directory and
//! connections, outcome measures, closure, and what the referrer reads back.

use crate::support::*;

mod a_carer_who_needs_a_push;
mod a_little_bit_about_a_lot;
mod many_surgeries_many_doors;

// The binary's log tests walk the same journeys (`binary::logs`).
pub use a_carer_who_needs_a_push::a_carer_who_needs_a_push;
pub use a_little_bit_about_a_lot::a_little_bit_about_a_lot;
pub use many_surgeries_many_doors::many_surgeries_many_doors;

/// 1. A carer who needs a push (Kirklees).
#[tokio::test]
async fn journey_1_a_carer_who_needs_a_push() {
    let app = spawn_app_with(|s| s.webhook_poll_interval_ms = 100).await;
    a_carer_who_needs_a_push(&app).await;
    app.finish().await;
}

/// 2. Many surgeries, many doors (Birmingham).
#[tokio::test]
async fn journey_2_many_surgeries_many_doors() {
    let app = spawn_app().await;
    many_surgeries_many_doors(&app).await;
    app.finish().await;
}

/// 3. A little bit about a lot (Leeds North).
#[tokio::test]
async fn journey_3_a_little_bit_about_a_lot() {
    let app = spawn_app().await;
    a_little_bit_about_a_lot(&app).await;
    app.finish().await;
}
