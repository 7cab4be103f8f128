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
    #[error("must be a file name without a path")]
    InvalidFileName,
    #[error("must be a media type such as application/pdf")]
    InvalidMediaType,
    #[error("must be standard base64 with padding")]
    InvalidBase64,
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
            Self::InvalidFileName => "invalid_file_name",
            Self::InvalidMediaType => "invalid_media_type",
            Self::InvalidBase64 => "invalid_base64",
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

/// White space, as a character-class body for the schemas' patterns ([`BOUNDED_TEXT_PATTERN`],
/// [`FILE_NAME_PATTERN`]): what `char::is_whitespace` (and so `trim`) calls white space, apart
/// from the control characters, spelled out. `\s` means something else in each regex dialect
/// that reads the schema: ECMAScript's has U+FEFF, Python's the separators U+001C–U+001F,
/// regex-lite's only ASCII.
macro_rules! white_space_class {
    () => {
        " \\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000"
    };
}

/// What [`BoundedText`] accepts, as the regular expression its OpenAPI schema carries: at least
/// one character that is not white space, and no control character but tabs, line feeds and
/// `\r\n`.
pub const BOUNDED_TEXT_PATTERN: &str = concat!(
    "^(?:[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]|\\r\\n)*[^",
    white_space_class!(),
    "\\u0000-\\u001F\\u007F-\\u009F](?:[^\\u0000-\\u0008\\u000B-\\u001F\\u007F-\\u009F]|\\r\\n)*$"
);

/// Free text of at most `MAX` characters, trimmed, not empty, without control characters other
/// than line breaks and tabs (`\r\n` becomes `\n`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BoundedText<const MAX: usize>(String);

impl<const MAX: usize> BoundedText<MAX> {
    /// The rules hold for the text as sent (with `\r\n` as one line break), so that what the
    /// OpenAPI schema says ([`BOUNDED_TEXT_PATTERN`], `maxLength`) is what is accepted; only then
    /// is it trimmed.
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        let text = input.replace("\r\n", "\n");
        if text
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t')
        {
            return Err(ValidationError::ControlCharacter);
        }
        if text.chars().count() > MAX {
            return Err(ValidationError::TooLong { max: MAX });
        }
        let text = text.trim();
        if text.is_empty() {
            return Err(ValidationError::Empty);
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

/// What [`FileName`] accepts, as its OpenAPI schema says it.
pub const FILE_NAME_PATTERN: &str = concat!(
    "^[^",
    white_space_class!(),
    "./\\\\\\u0000-\\u001F\\u007F-\\u009F](?:[^/\\\\\\u0000-\\u001F\\u007F-\\u009F]*[^",
    white_space_class!(),
    "/\\\\\\u0000-\\u001F\\u007F-\\u009F])?$"
);

/// A file name without a path, of at most 200 characters: no `/` or `\\`, no control character,
/// not hidden (no leading `.`), no white space at either end.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct FileName(String);

impl FileName {
    pub const MAX: usize = 200;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.is_empty() {
            return Err(ValidationError::Empty);
        }
        if input.chars().count() > Self::MAX {
            return Err(ValidationError::TooLong { max: Self::MAX });
        }
        let bad = |c: char| c == '/' || c == '\\' || c.is_control();
        if input.starts_with('.')
            || input.starts_with(char::is_whitespace)
            || input.ends_with(char::is_whitespace)
            || input.chars().any(bad)
        {
            return Err(ValidationError::InvalidFileName);
        }
        Ok(Self(input.to_owned()))
    }
}
string_newtype!(FileName);

/// What [`MediaType`] accepts, as its OpenAPI schema says it: RFC 9110 token characters in the
/// type and the subtype.
pub const MEDIA_TYPE_PATTERN: &str = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+/[!#$%&'*+.^_`|~0-9A-Za-z-]+\
     (?:;[^\\u0000-\\u001F\\u007F-\\u009F]*)?$";

/// A media type such as `application/pdf` or `text/csv; charset=utf-8`, of at most 100
/// characters: a type and a subtype of token characters, then parameters without control
/// characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MediaType(String);

impl MediaType {
    pub const MAX: usize = 100;

    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        if input.is_empty() {
            return Err(ValidationError::Empty);
        }
        if input.chars().count() > Self::MAX {
            return Err(ValidationError::TooLong { max: Self::MAX });
        }
        let token = |t: &str| {
            !t.is_empty()
                && t.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+.^_`|~-".contains(c))
        };
        let (essence, parameters) = input.split_once(';').unwrap_or((input, ""));
        let ok = essence
            .split_once('/')
            .is_some_and(|(kind, sub)| token(kind) && token(sub))
            && !parameters.chars().any(char::is_control);
        if !ok {
            return Err(ValidationError::InvalidMediaType);
        }
        Ok(Self(input.to_owned()))
    }

    /// The type and subtype, without parameters.
    pub fn essence(&self) -> &str {
        self.0.split(';').next().unwrap_or("")
    }
}
string_newtype!(MediaType);

/// What [`Base64`] accepts (standard alphabet, padded, canonical), as its OpenAPI schema says.
pub const BASE64_PATTERN: &str = "^(?:[A-Za-z0-9+/]{4})*\
     (?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$";

/// Bytes as standard, padded base64, such as the content of a file in a JSON body.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Base64(String);

impl Base64 {
    pub fn parse(input: &str) -> Result<Self, ValidationError> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(input)
            .map_err(|_| ValidationError::InvalidBase64)?;
        Ok(Self(input.to_owned()))
    }

    pub fn encode(bytes: &[u8]) -> Self {
        use base64::Engine as _;
        Self(base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    /// The bytes (checked when parsed, so this cannot fail).
    pub fn decode(&self) -> Vec<u8> {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD
            .decode(&self.0)
            .unwrap_or_default()
    }
}
string_newtype!(Base64);

impl fmt::Debug for Base64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Base64({} characters)", self.0.len())
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
            BoundedText::<8>::parse(" hi\r\nyou ").unwrap().as_str(),
            "hi\nyou"
        );
        // The length is the text's as sent (`maxLength` in the schema), a line break one.
        assert_eq!(
            BoundedText::<7>::parse(" hi\r\nyou "),
            Err(ValidationError::TooLong { max: 7 })
        );
        assert_eq!(
            BoundedText::<5>::parse("ab\u{b}"),
            Err(ValidationError::ControlCharacter)
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

    /// Property tests (proptest runs natively only).
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::super::*;
        use proptest::prelude::*;

        /// The pattern without its anchors, for generating strings that match it.
        fn unanchored(pattern: &str) -> &str {
            pattern.trim_start_matches('^').trim_end_matches('$')
        }

        /// Checks that `parse` accepts every string its `pattern` generates (within `max`), and
        /// that what it accepts of `others` matches the pattern.
        fn agree<T>(
            pattern: &str,
            parse: impl Fn(&str) -> Result<T, ValidationError>,
            max: usize,
            matching: &str,
            others: &[&str],
        ) -> Result<(), TestCaseError> {
            let regex = regex_lite::Regex::new(pattern).unwrap();
            if matching.chars().count() <= max {
                prop_assert!(parse(matching).is_ok(), "{matching:?} matches {pattern}");
            }
            for text in others {
                prop_assert_eq!(
                    parse(text).is_ok(),
                    regex.is_match(text) && text.chars().count() <= max,
                    "{:?}",
                    text
                );
            }
            Ok(())
        }

        /// White space is the same in the schemas' patterns and in the validators (`trim`,
        /// `char::is_whitespace`), for every character there is.
        #[test]
        fn the_schemas_white_space_is_the_validators_for_every_character() {
            let class = regex_lite::Regex::new(concat!("^[", white_space_class!(), "]$")).unwrap();
            let differ: Vec<char> = (0..=u32::from(char::MAX))
                .filter_map(char::from_u32)
                .filter(|&c| {
                    let mut buffer = [0; 4];
                    class.is_match(c.encode_utf8(&mut buffer))
                        != (c.is_whitespace() && !c.is_control())
                })
                .collect();
            assert!(
                differ.is_empty(),
                "the schema and the validator disagree on {differ:?}"
            );
        }

        proptest! {
            #[test]
            fn file_names_media_types_and_base64_accept_exactly_what_their_patterns_allow(
                name in proptest::string::string_regex(unanchored(FILE_NAME_PATTERN)).unwrap(),
                media in proptest::string::string_regex(unanchored(MEDIA_TYPE_PATTERN)).unwrap(),
                encoded in proptest::string::string_regex(unanchored(BASE64_PATTERN)).unwrap(),
                bytes in proptest::collection::vec(any::<u8>(), 0..40),
                any_text in "(?s).{0,40}",
                near in "[ ./\\\\a;=\\t\\x00\\u{85}+AQg=]{0,12}",
            ) {
                let others = [any_text.as_str(), near.as_str()];
                agree(FILE_NAME_PATTERN, FileName::parse, FileName::MAX, &name, &others)?;
                agree(MEDIA_TYPE_PATTERN, MediaType::parse, MediaType::MAX, &media, &others)?;
                let real = Base64::encode(&bytes);
                agree(BASE64_PATTERN, Base64::parse, usize::MAX, &encoded, &[real.as_ref(), any_text.as_str(), near.as_str()])?;
                prop_assert_eq!(real.decode(), bytes);
            }
        }

        proptest! {
            /// The schema and the validator agree: whatever the pattern allows (within the length)
            /// is accepted, and whatever is accepted matches the pattern.
            #[test]
            fn bounded_text_accepts_exactly_what_its_pattern_allows(
                matching in proptest::string::string_regex(unanchored(BOUNDED_TEXT_PATTERN)).unwrap(),
                any_text in "(?s).{0,40}",
                controls in "[ a\\t\\n\\r\\x00-\\x1f\\x7f-\\u{9f}\\u{2003}]{0,12}",
            ) {
                let pattern = regex_lite::Regex::new(BOUNDED_TEXT_PATTERN).unwrap();
                if matching.trim().chars().count() <= 5000 {
                    prop_assert!(BoundedText::<5000>::parse(&matching).is_ok(), "{matching:?}");
                }
                for text in [any_text.clone(), controls.clone()] {
                    if BoundedText::<5000>::parse(&text).is_ok() {
                        prop_assert!(pattern.is_match(&text), "{text:?}");
                    }
                    // Blank text and lone control characters are refused by both.
                    if !pattern.is_match(&text) {
                        prop_assert!(BoundedText::<5000>::parse(&text).is_err(), "{text:?}");
                    }
                }
            }
        }
    }
}
