//! The server's API tests: one binary, each module one area, every test against a real server on
//! a free port with a fresh database: a SQLite file, or a PostgreSQL database of its own when
//! `PRIVACY_TEST_POSTGRES` names a server (`cargo xtask test` runs both).

mod admin;
mod consents;
mod copy;
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
