//! The `?limit=&cursor=` of keyset-paged lists that take no other filters.

use serde::Deserialize;
use socialrx_domain::Violations;
use socialrx_store::PageRequest;
use utoipa::IntoParams;

use crate::error::ApiError;
use crate::routes::referrals::{decode_cursor, parse_limit};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// Page size, 1 to 100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(min_length = 32, max_length = 32, pattern = r"^[0-9a-fA-F]{32}$")]
    pub cursor: Option<String>,
}

impl PageQuery {
    /// The page asked for; a bad limit or cursor is a 422 naming the parameter.
    pub fn parse(self) -> Result<PageRequest, ApiError> {
        let mut v = Violations::new();
        let page = self.check(&mut v);
        if v.is_empty() {
            Ok(page)
        } else {
            Err(ApiError::Validation(v.into_errors()))
        }
    }

    /// The page asked for, its problems added to `v` beside a list's other parameters.
    pub fn check(self, v: &mut Violations) -> PageRequest {
        let limit = v
            .check_opt("limit", self.limit, |l| parse_limit(&l))
            .flatten()
            .unwrap_or(20);
        let after = v
            .check_opt("cursor", self.cursor, |c| decode_cursor(&c))
            .flatten();
        PageRequest { limit, after }
    }
}
