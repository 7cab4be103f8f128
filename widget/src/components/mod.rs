//! The widget's components, one per file. The banner also renders natively (feature `ssr`), for
//! the first layer the loader shows before the bundle has started.

pub mod banner;
#[cfg(target_arch = "wasm32")]
pub mod modal;
#[cfg(target_arch = "wasm32")]
pub mod policy_viewer;
#[cfg(target_arch = "wasm32")]
pub mod preferences;
#[cfg(target_arch = "wasm32")]
pub mod rights_center;
#[cfg(target_arch = "wasm32")]
pub mod settings_button;
