//! Black-box tests: the application over HTTP, on the backend the environment selects
//! (SQLite by default, PostgreSQL with `TEST_DATABASE_URL`). One test binary, many modules.

mod steps;
mod support;

mod audit;
mod auth;
mod bad_input;
mod binary;
mod browser;
mod caseload;
mod casework;
mod connections;
mod cors;
mod directory;
mod errors;
mod fhir;
mod idempotency;
mod identity;
mod import;
mod journeys;
mod lifecycle;
mod link_workers;
mod openapi;
mod operations;
mod oruk;
mod outcomes;
mod particulars;
mod partners;
mod permissions;
mod query_rules;
mod referrals;
mod replica;
mod reports;
mod search_contract;
mod search_restart;
mod self_referrals;
mod sent_referrals;
mod summary;
mod tenancy;
mod validation;
mod webhooks;
