//! The library the functions share: configuration, errors, the event model and its validation,
//! tokens and passwords, and the ports with their adapters (each adapter behind a cargo feature).

pub mod adapters;
pub mod address;
pub mod analytics;
pub mod auth;
pub mod config;
pub mod cookieless;
pub mod envelope;
pub mod error;
pub mod event;
#[cfg(feature = "http")]
pub mod http;
pub mod ports;
pub mod useragent;
pub mod users;

pub use error::{ApiError, Conflict, StoreError};
