//! End-to-end tests: the real server on a free port with a fresh SQLite file, the built widget
//! from `dist/` (`cargo xtask build`), and real Chromium driven through chromedriver. With
//! `VP_E2E_PAGES=second-origin` every host page comes from a group site on another origin that
//! embeds the widget with the one tag (`host_site`); `cargo xtask test` runs the suite both ways.

mod accessibility;
mod banner;
mod choices_over_time;
mod configured_site;
mod console;
mod enforcement;
mod helpers;
mod interface;
mod loader_rules;
mod preferences;
mod sync;
mod views;
