//! Black-box tests: the application over HTTP, on the backend the environment selects
//! (SQLite by default, PostgreSQL with `TEST_DATABASE_URL`). One test binary, many modules.

mod support;

mod audit;
mod auth;
mod binary;
mod errors;
mod idempotency;
mod identity;
mod openapi;
mod operations;
mod outcomes;
mod permissions;
mod referrals;
mod reports;
mod tenancy;
mod validation;
mod webhooks;
