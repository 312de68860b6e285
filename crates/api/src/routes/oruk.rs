//! Open Referral UK 3.0 read API (placeholder; filled in below).

use actix_web::web;

use crate::access::Operation;

pub fn configure(_cfg: &mut web::ServiceConfig) {}

#[derive(utoipa::OpenApi)]
#[openapi()]
pub struct Api;

pub const OPERATIONS: &[Operation] = &[];
