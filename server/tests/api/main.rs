//! The server's API tests: one binary, each module one area, every test against a real server on
//! a free port with a fresh SQLite file.

mod admin;
mod consents;
mod errors;
mod hardening;
mod health;
mod helpers;
mod identity;
mod ledger;
mod mail;
mod openapi;
mod policy;
mod requests;
mod retention;
mod startup;
