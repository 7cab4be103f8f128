//! The widget's components, one per file.

pub mod banner;
pub mod policy_viewer;
pub mod preferences;
pub mod rights_center;
pub mod settings_button;
