//! Work the server runs beside the HTTP workers, started by `startup`: keeping the search
//! index in step with the store, delivering webhooks, and sampling the read replica's lag.
//! Each follows the store only, so any number of instances can run them side by side.

pub mod replica_lag;
pub mod search_feed;
pub mod webhook_delivery;
