//! The socialrx server: configuration, logging, start-up and the command line.

pub mod cli;
pub mod config;
pub mod import;
pub mod jobs;
pub mod startup;
pub mod telemetry;
