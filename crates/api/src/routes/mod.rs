pub mod health;
pub mod referrals;
