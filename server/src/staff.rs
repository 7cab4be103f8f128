//! Staff credentials: argon2id passwords and TOTP second factors (RFC 6238), and session tokens.
//! Backend-free; storage keeps only hashes of passwords and session tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub use privacy_shared::totp::{TOTP_STEP, base32_decode, base32_encode, totp_code};

/// How long a staff session lasts.
pub const SESSION_HOURS: i64 = 8;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = privacy_shared::wire::STAFF_SESSION_COOKIE;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot draw random bytes: {0}")]
    Random(String),
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("cannot draw the QR code: {0}")]
    Qr(String),
}

/// An argon2id PHC string for `password`.
pub fn hash_password(password: &str) -> Result<String, CredentialError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| CredentialError::Random(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| CredentialError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| CredentialError::Hash(e.to_string()))
}

/// Whether `password` matches the stored PHC string.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| {
        Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok()
    })
}

/// A PHC string that matches no password, verified against when the account does not exist, so
/// an unknown address takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

/// A new random TOTP secret, base32.
pub fn new_totp_secret() -> Result<String, CredentialError> {
    let mut secret = [0u8; 20];
    getrandom::fill(&mut secret).map_err(|e| CredentialError::Random(e.to_string()))?;
    Ok(base32_encode(&secret))
}

/// The time step `code` is valid for at `now` (one step of clock drift either way), if any.
pub fn totp_step(secret_base32: &str, code: &str, now: i64) -> Option<i64> {
    let secret = base32_decode(secret_base32)?;
    let current = now.div_euclid(TOTP_STEP);
    [current, current - 1, current + 1]
        .into_iter()
        .find(|&step| totp_code(&secret, step) == code.trim())
}

/// The `otpauth://` URI authenticator apps read (as a QR code or pasted).
pub fn otpauth_uri(email: &str, secret_base32: &str) -> String {
    format!(
        "otpauth://totp/Virtio%20Privacy:{email}?secret={secret_base32}&issuer=Virtio%20Privacy&digits=6&period=30"
    )
}

/// `uri` as a QR code drawn with Unicode half blocks, two rows of modules a line, light on dark
/// as most terminals show text, with the quiet zone scanners need.
pub fn terminal_qr(uri: &str) -> Result<String, CredentialError> {
    use qrcode::render::unicode::Dense1x2;
    let code =
        qrcode::QrCode::new(uri.as_bytes()).map_err(|e| CredentialError::Qr(e.to_string()))?;
    Ok(code
        .render::<Dense1x2>()
        .dark_color(Dense1x2::Light)
        .light_color(Dense1x2::Dark)
        .quiet_zone(true)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The QR code reads back as the URI: the terminal's characters turned into pixels again
    /// (each character two modules, one above the other) and decoded as a camera would.
    #[test]
    fn the_enrollment_qr_code_scans_as_the_otpauth_uri() {
        let uri = otpauth_uri("officer@virtio.nl", "JBSWY3DPEHPK3PXP");
        let drawn = terminal_qr(&uri).unwrap();
        // Light on dark: a full block is two light modules, a space two dark ones.
        let rows: Vec<Vec<(bool, bool)>> = drawn
            .lines()
            .map(|line| {
                line.chars()
                    .map(|c| match c {
                        '█' => (false, false),
                        '▀' => (false, true),
                        '▄' => (true, false),
                        _ => (true, true),
                    })
                    .collect()
            })
            .collect();
        let width = rows[0].len();
        let scale = 4;
        let (w, h) = (width * scale, rows.len() * 2 * scale);
        let mut grid = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| {
            let (top, bottom) = rows[y / scale / 2][x / scale];
            let dark = if (y / scale) % 2 == 0 { top } else { bottom };
            if dark { 0 } else { 255 }
        });
        let grids = grid.detect_grids();
        assert_eq!(grids.len(), 1, "one QR code in\n{drawn}");
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, uri);
    }

    #[test]
    fn totp_matches_the_rfc_6238_test_vectors() {
        // RFC 6238 appendix B, SHA-1, secret "12345678901234567890", last 6 digits.
        let secret = b"12345678901234567890";
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp_code(secret, time / TOTP_STEP), code, "T = {time}");
        }
    }

    #[test]
    fn base32_round_trips_and_codes_are_accepted_one_step_either_way() {
        let secret = b"12345678901234567890";
        let encoded = base32_encode(secret);
        assert_eq!(encoded, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(base32_decode(&encoded).unwrap(), secret);
        let code = totp_code(secret, 1000);
        assert_eq!(totp_step(&encoded, &code, 1000 * TOTP_STEP + 5), Some(1000));
        assert_eq!(totp_step(&encoded, &code, 1001 * TOTP_STEP), Some(1000));
        assert_eq!(totp_step(&encoded, &code, 1003 * TOTP_STEP), None);
    }

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery staple").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery staple", &hash));
        assert!(!verify_password("Correct horse battery staple", &hash));
        assert!(!verify_password("anything", dummy_hash()));
    }
}
