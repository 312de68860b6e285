//! Length limits on stored text. They keep rows small, stop abuse, and are mirrored into
//! the OpenAPI schema so that clients learn them before they hit them.

pub const NAME: usize = 100;
pub const SHORT_TEXT: usize = 200;
pub const NOTES: usize = 4000;
pub const EMAIL: usize = 254;
pub const PHONE: usize = 32;
pub const LANGUAGE: usize = 50;
pub const REASONS: usize = 12;
pub const ACCESSIBILITY_NEEDS: usize = 1000;
/// A postal address: up to this many lines (the postcode is separate), each a label.
pub const ADDRESS_LINES: usize = 4;
pub const ADDRESS_LINE: usize = 100;
/// The oldest date of birth we accept, in years before today.
pub const MAX_AGE_YEARS: i32 = 120;
/// A partner's allowed web origin, and how many a partner may list.
pub const ORIGIN: usize = 255;
pub const PARTNER_ORIGINS: usize = 20;
