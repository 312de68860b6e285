//! socialrx domain: the types and rules of social prescribing, with no I/O.
//!
//! Everything that can be checked without a database lives here: NHS number check digits,
//! postcode and ODS code formats, the referral state machine, the permission table. Values
//! are parsed into newtypes once, at the edge, so the rest of the system cannot hold an
//! invalid one ("parse, don't validate").

pub mod access;
pub mod agreement;
pub mod caseload;
pub mod codes;
pub mod connection;
pub mod contact;
pub mod directory;
pub mod duplicates;
pub mod limits;
pub mod link_worker;
pub mod message_back;
pub mod nhs_number;
pub mod ods_code;
pub mod organisation;
pub mod outcome;
pub mod particulars;
pub mod partner;
pub mod person;
pub mod plan;
pub mod postcode;
pub mod referral;
pub mod referrer_view;
pub mod risk;
pub mod snomed;
pub mod text;
pub mod violations;
pub mod webhook;
pub mod when;

pub use access::{Permission, Role};
pub use nhs_number::NhsNumber;
pub use ods_code::OdsCode;
pub use postcode::Postcode;
pub use violations::{FieldError, Violations};
