//! Black-box tests: the application over HTTP, on the backend the environment selects
//! (SQLite by default, PostgreSQL with `TEST_DATABASE_URL`). One test binary, many modules.

mod steps;
mod support;

mod auth;
mod binary;
mod caseload;
mod casework;
mod errors;
mod idempotency;
mod journeys;
mod lifecycle;
mod link_workers;
mod openapi;
mod operations;
mod permissions;
mod referrals;
mod validation;
