//! End-to-end tests: the real server on a free port with a fresh SQLite file, the built widget
//! from `dist/` (`cargo xtask build`), and real Chromium driven through chromedriver.

mod accessibility;
mod banner;
mod enforcement;
mod helpers;
mod preferences;
mod sync;
mod views;
