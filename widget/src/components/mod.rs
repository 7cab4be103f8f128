//! The widget's components, one per file. The banner, the settings button and the preferences
//! also render natively (feature `ssr`): the server renders what the loader shows before (or
//! without) the bundle, and the preferences the loader's `dialogs.js` shows. The policy viewer
//! renders only there: `dialogs.js` shows it too.

pub mod banner;
pub mod dialog;
#[cfg(target_arch = "wasm32")]
pub mod modal;
#[cfg(not(target_arch = "wasm32"))]
pub mod policy_viewer;
pub mod preferences;
#[cfg(target_arch = "wasm32")]
pub mod rights_center;
pub mod settings_button;
