//! Black-box tests: the application over HTTP, on the backend the environment selects
//! (SQLite by default, PostgreSQL with `TEST_DATABASE_URL`). One test binary, many modules.

mod support;

mod auth;
mod binary;
mod connections;
mod directory;
mod errors;
mod idempotency;
mod import;
mod openapi;
mod operations;
mod oruk;
mod permissions;
mod referrals;
mod search_contract;
mod validation;
