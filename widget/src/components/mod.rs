//! The widget's components, one per file. The banner and the settings button also render natively
//! (feature `ssr`), for what the loader shows before (or without) the bundle.

pub mod banner;
#[cfg(target_arch = "wasm32")]
pub mod modal;
#[cfg(target_arch = "wasm32")]
pub mod policy_viewer;
#[cfg(target_arch = "wasm32")]
pub mod preferences;
#[cfg(target_arch = "wasm32")]
pub mod rights_center;
pub mod settings_button;
