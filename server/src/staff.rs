//! Staff credentials: argon2id passwords and TOTP second factors (RFC 6238), and session tokens.
//! Backend-free; storage keeps only hashes of passwords and session tokens.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use totp_rs::{Algorithm, Secret, TOTP};

/// The TOTP time step, in seconds (RFC 6238's default, which every authenticator app uses).
pub const TOTP_STEP: i64 = 30;

/// The name authenticator apps list the account under.
const TOTP_ISSUER: &str = "Virtio Privacy";

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

/// A new random TOTP secret (160 bits, as RFC 4226 recommends), base32.
pub fn new_totp_secret() -> Result<String, CredentialError> {
    let mut secret = [0u8; 20];
    getrandom::fill(&mut secret).map_err(|e| CredentialError::Random(e.to_string()))?;
    Ok(Secret::Raw(secret.to_vec()).to_encoded().to_string())
}

/// The account's TOTP (SHA-1, 6 digits, 30-second steps) for the base32 `secret`; `None` when the
/// secret is not base32 of at least 128 bits.
fn totp(secret_base32: &str, account: &str) -> Option<TOTP> {
    let secret = Secret::Encoded(secret_base32.to_owned()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        0,
        TOTP_STEP.unsigned_abs(),
        secret,
        Some(TOTP_ISSUER.to_owned()),
        account.to_owned(),
    )
    .ok()
}

/// The time step `code` is valid for at `now` (one step of clock drift either way), if any. The
/// caller accepts each step once (`Storage::accept_totp_step`).
pub fn totp_step(secret_base32: &str, code: &str, now: i64) -> Option<i64> {
    let totp = totp(secret_base32, "")?;
    let current = now.div_euclid(TOTP_STEP);
    [current, current - 1, current + 1]
        .into_iter()
        .filter(|step| *step >= 0)
        .find(|&step| totp.check(code.trim(), (step * TOTP_STEP).unsigned_abs()))
}

/// The code an authenticator app shows for `secret_base32` at `now` (Unix seconds): for tools and
/// tests that sign in as staff.
pub fn totp_code(secret_base32: &str, now: i64) -> Option<String> {
    Some(totp(secret_base32, "")?.generate(now.max(0).unsigned_abs()))
}

/// The `otpauth://` URI authenticator apps read (as a QR code or pasted).
pub fn otpauth_uri(email: &str, secret_base32: &str) -> Result<String, CredentialError> {
    totp(secret_base32, email)
        .map(|totp| totp.get_url())
        .ok_or_else(|| {
            CredentialError::Qr("the TOTP secret is not base32 of 128 bits or more".into())
        })
}

/// What the console shows at a first sign-in: the URI as a QR code's modules and the secret.
pub fn enrollment(
    email: &str,
    secret_base32: &str,
) -> Result<privacy_shared::wire::TotpEnrollment, CredentialError> {
    let otpauth_uri = otpauth_uri(email, secret_base32)?;
    let code = qrcode::QrCode::new(otpauth_uri.as_bytes())
        .map_err(|e| CredentialError::Qr(e.to_string()))?;
    let qr_modules = code
        .to_colors()
        .iter()
        .map(|color| {
            if *color == qrcode::Color::Dark {
                '1'
            } else {
                '0'
            }
        })
        .collect();
    Ok(privacy_shared::wire::TotpEnrollment {
        qr_size: u32::try_from(code.width()).unwrap_or(u32::MAX),
        qr_modules,
        secret: secret_base32.to_owned(),
        otpauth_uri,
    })
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
        let uri = otpauth_uri("officer@virtio.nl", RFC_SECRET).unwrap();
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

    /// RFC 6238 appendix B, SHA-1, secret "12345678901234567890" (base32 below), last 6 digits.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn totp_matches_the_rfc_6238_test_vectors() {
        for (time, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(totp_code(RFC_SECRET, time).unwrap(), code, "T = {time}");
        }
    }

    #[test]
    fn codes_are_accepted_one_step_either_way_and_secrets_are_fresh() {
        let code = totp_code(RFC_SECRET, 1000 * TOTP_STEP).unwrap();
        assert_eq!(
            totp_step(RFC_SECRET, &code, 1000 * TOTP_STEP + 5),
            Some(1000)
        );
        assert_eq!(totp_step(RFC_SECRET, &code, 1001 * TOTP_STEP), Some(1000));
        assert_eq!(totp_step(RFC_SECRET, &code, 999 * TOTP_STEP), Some(1000));
        assert_eq!(totp_step(RFC_SECRET, &code, 1003 * TOTP_STEP), None);
        assert_eq!(totp_step(RFC_SECRET, "12345", 1000 * TOTP_STEP), None);
        assert_eq!(totp_step("not base32!", &code, 1000 * TOTP_STEP), None);
        let (a, b) = (new_totp_secret().unwrap(), new_totp_secret().unwrap());
        assert_ne!(a, b);
        assert_eq!(a.len(), 32, "160 bits in base32");
        assert!(totp_code(&a, 0).is_some());
    }

    /// The console's QR modules are the same code as the terminal's: each decodes to the URI.
    #[test]
    fn the_consoles_qr_modules_scan_as_the_otpauth_uri() {
        let enrollment = enrollment("officer@virtio.nl", RFC_SECRET).unwrap();
        assert_eq!(enrollment.secret, RFC_SECRET);
        let size = enrollment.qr_size as usize;
        let modules: Vec<bool> = enrollment.qr_modules.chars().map(|c| c == '1').collect();
        assert_eq!(modules.len(), size * size);
        let (scale, quiet) = (4, 4);
        let side = (size + 2 * quiet) * scale;
        let mut image = rqrr::PreparedImage::prepare_from_greyscale(side, side, |x, y| {
            let (mx, my) = (
                (x / scale).wrapping_sub(quiet),
                (y / scale).wrapping_sub(quiet),
            );
            let dark = mx < size && my < size && modules[my * size + mx];
            if dark { 0 } else { 255 }
        });
        let grids = image.detect_grids();
        assert_eq!(grids.len(), 1);
        assert_eq!(grids[0].decode().unwrap().1, enrollment.otpauth_uri);
        assert!(
            enrollment
                .otpauth_uri
                .starts_with("otpauth://totp/Virtio%20Privacy:officer%40virtio.nl?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"),
            "{}",
            enrollment.otpauth_uri
        );
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
