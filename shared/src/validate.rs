//! Input types that validate when they are built: past the boundary, code only sees valid values.
//! The widget runs the same parsers before sending, so it refuses what the server would refuse.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a value was refused; `code` is stable and goes into problem+json field errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
    #[error("is not a valid e-mail address")]
    InvalidEmail,
    #[error("is not a valid customer number")]
    InvalidCustomerNumber,
    #[error("must be exactly 6 digits")]
    InvalidCode,
}

impl ValidationError {
    pub fn code(&self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong { .. } => "too_long",
            Self::ControlCharacter => "control_character",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidCustomerNumber => "invalid_customer_number",
            Self::InvalidCode => "invalid_code",
        }
    }
}

macro_rules! string_newtype {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = ValidationError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                Self::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

/// An e-mail address: one `@`, a local part of at most 64 characters without spaces or control
/// characters, and a domain of at least two labels with an alphabetic top-level domain. The domain
/// is kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(ValidationError::Empty);
        }
        if input.chars().count() > 254 {
            return Err(ValidationError::TooLong { max: 254 });
        }
        let (local, domain) = input.split_once('@').ok_or(ValidationError::InvalidEmail)?;
        let local_ok = !local.is_empty()
            && local.chars().count() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| !c.is_whitespace() && !c.is_control() && !"@<>()[]\\,;:\"".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if !(local_ok && domain_ok) {
            return Err(ValidationError::InvalidEmail);
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }
}
string_newtype!(EmailAddress);

/// A Virtio customer number: 1 to 32 ASCII letters, digits or hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CustomerNumber(String);

impl CustomerNumber {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(ValidationError::Empty);
        }
        if input.len() > 32 || !input.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(ValidationError::InvalidCustomerNumber);
        }
        Ok(Self(input.to_owned()))
    }
}
string_newtype!(CustomerNumber);

/// Free text of at most `MAX` characters, trimmed, not empty, without control characters other
/// than line breaks and tabs (`\r\n` becomes `\n`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BoundedText<const MAX: usize>(String);

impl<const MAX: usize> BoundedText<MAX> {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let text = input.replace("\r\n", "\n");
        let text = text.trim();
        if text.is_empty() {
            return Err(ValidationError::Empty);
        }
        if text.chars().count() > MAX {
            return Err(ValidationError::TooLong { max: MAX });
        }
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ValidationError::ControlCharacter);
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> TryFrom<String> for BoundedText<MAX> {
    type Error = ValidationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl<const MAX: usize> From<BoundedText<MAX>> for String {
    fn from(value: BoundedText<MAX>) -> Self {
        value.0
    }
}

impl<const MAX: usize> fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The 6-digit code a visitor receives by e-mail to verify a rights request.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VerificationCode(String);

impl VerificationCode {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let code: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(code))
        } else {
            Err(ValidationError::InvalidCode)
        }
    }
}
string_newtype!(VerificationCode);

/// Never prints the code, so it cannot reach a log.
impl fmt::Debug for VerificationCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("VerificationCode(******)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        assert_eq!(
            EmailAddress::parse(" Jan.Jansen+x@Virtio.NL ")
                .unwrap()
                .as_ref(),
            "Jan.Jansen+x@virtio.nl"
        );
        for bad in [
            "",
            "a",
            "a@b",
            "a@@b.nl",
            "a b@c.nl",
            "a@b..nl",
            ".a@b.nl",
            "a@-b.nl",
            "a@b.n1",
            "a\u{0}@b.nl",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            EmailAddress::parse("a@b"),
            Err(ValidationError::InvalidEmail)
        );
        assert_eq!(
            EmailAddress::parse(&format!("{}@b.nl", "a".repeat(65))),
            Err(ValidationError::InvalidEmail)
        );
    }

    #[test]
    fn bounded_text() {
        assert_eq!(
            BoundedText::<6>::parse(" hi\r\nyou ").unwrap().as_str(),
            "hi\nyou"
        );
        assert_eq!(
            BoundedText::<5>::parse("toolong"),
            Err(ValidationError::TooLong { max: 5 })
        );
        assert_eq!(BoundedText::<5>::parse("  "), Err(ValidationError::Empty));
        assert_eq!(
            BoundedText::<5>::parse("a\u{7}b"),
            Err(ValidationError::ControlCharacter)
        );
        assert!(serde_json::from_str::<BoundedText<3>>("\"abcd\"").is_err());
    }

    #[test]
    fn codes_and_customer_numbers() {
        assert_eq!(
            VerificationCode::parse("123 456").unwrap().as_ref(),
            "123456"
        );
        assert!(
            VerificationCode::parse("12345").is_err() && VerificationCode::parse("12345a").is_err()
        );
        assert_eq!(
            format!("{:?}", VerificationCode::parse("123456").unwrap()),
            "VerificationCode(******)"
        );
        assert!(CustomerNumber::parse("C-10293").is_ok());
        assert!(CustomerNumber::parse("10 293").is_err());
    }
}
