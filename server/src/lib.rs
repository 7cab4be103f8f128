//! The Virtio Privacy server: the consent ledger and its API, and the static widget, admin and
//! demo pages, on actix-web with an embedded SQLite database.
//!
//! Architecture invariant: this is the only crate that knows SQL; handlers reach the database
//! only through [`storage::Storage`].

pub mod answers;
pub mod client;
pub mod export;
pub mod group_site;
pub mod identity;
pub mod limits;
pub mod loader;
pub mod mail;
pub mod metrics;
pub mod problem;
pub mod request_id;
pub mod requests;
pub mod routes;
pub mod settings;
pub mod staff;
pub mod startup;
pub mod storage;
pub mod vault;

pub use settings::Settings;
pub use startup::Application;
