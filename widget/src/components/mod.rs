//! The widget's components, one per file.

pub mod banner;
pub mod preferences;
pub mod settings_button;
