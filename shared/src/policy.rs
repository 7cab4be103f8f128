//! The policy versions the product knows. The structured policy text follows in its own module;
//! until then a version is its id and effective date.

/// The id of the policy version in force: the customer's privacy policy of 26 November 2024.
pub const CURRENT_VERSION: &str = "2024-11-26";

/// Every policy version the server accepts consent under, newest first.
pub const KNOWN_VERSIONS: &[&str] = &[CURRENT_VERSION];

/// Whether `version` names a policy version the product has published.
pub fn is_known_version(version: &str) -> bool {
    KNOWN_VERSIONS.contains(&version)
}
