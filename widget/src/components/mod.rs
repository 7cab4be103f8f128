//! The widget's components, one per file.

pub mod banner;
pub mod settings_button;
