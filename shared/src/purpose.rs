//! The purposes a person can consent to (PRODUCT.md §4). Their ids are stable: they appear in the
//! cookie, the API, the ledger, the JS API and the script attributes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::Language;

/// A purpose of processing that has its own toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PurposeId {
    Necessary,
    Analytics,
    Advertising,
    Recaptcha,
    Feedback,
    Offers,
    Newsletter,
    CrashReports,
}

impl PurposeId {
    pub const ALL: [PurposeId; 8] = [
        Self::Necessary,
        Self::Analytics,
        Self::Advertising,
        Self::Recaptcha,
        Self::Feedback,
        Self::Offers,
        Self::Newsletter,
        Self::CrashReports,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Necessary => "necessary",
            Self::Analytics => "analytics",
            Self::Advertising => "advertising",
            Self::Recaptcha => "recaptcha",
            Self::Feedback => "feedback",
            Self::Offers => "offers",
            Self::Newsletter => "newsletter",
            Self::CrashReports => "crash_reports",
        }
    }

    /// `necessary` cannot be refused; every other purpose starts off.
    pub fn is_locked(self) -> bool {
        self == Self::Necessary
    }

    /// The label people see on the toggle.
    pub fn label(self, language: Language) -> &'static str {
        match (self, language) {
            (Self::Necessary, Language::Nl) => "Noodzakelijk",
            (Self::Necessary, Language::En) => "Necessary",
            (Self::Analytics, Language::Nl) => "Statistieken (Google Analytics)",
            (Self::Analytics, Language::En) => "Statistics (Google Analytics)",
            (Self::Advertising, Language::Nl) => {
                "Gepersonaliseerde advertenties (Google, Facebook)"
            }
            (Self::Advertising, Language::En) => "Personalised advertising (Google, Facebook)",
            (Self::Recaptcha, Language::Nl) => "Botbescherming (Google reCAPTCHA)",
            (Self::Recaptcha, Language::En) => "Bot protection (Google reCAPTCHA)",
            (Self::Feedback, Language::Nl) => "Tevredenheidsonderzoek door onderzoeksbureaus",
            (Self::Feedback, Language::En) => "Satisfaction surveys by research agencies",
            (Self::Offers, Language::Nl) => {
                "Persoonlijke aanbiedingen en delen binnen de groep (EU)"
            }
            (Self::Offers, Language::En) => "Personal offers and sharing within the group (EU)",
            (Self::Newsletter, Language::Nl) => "Nieuwsbrief",
            (Self::Newsletter, Language::En) => "Newsletter",
            (Self::CrashReports, Language::Nl) => {
                "Crashgegevens van de interface app (3 maanden bewaard)"
            }
            (Self::CrashReports, Language::En) => "Interface app crash data (kept 3 months)",
        }
    }
}

impl fmt::Display for PurposeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not the id of any purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown purpose `{0}`")]
pub struct UnknownPurpose(pub String);

impl FromStr for PurposeId {
    type Err = UnknownPurpose;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| UnknownPurpose(s.chars().take(64).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_text_and_json() {
        for purpose in PurposeId::ALL {
            assert_eq!(purpose.as_str().parse::<PurposeId>(), Ok(purpose));
            let json = serde_json::to_string(&purpose).unwrap();
            assert_eq!(json, format!("\"{}\"", purpose.as_str()));
        }
        assert!("marketing".parse::<PurposeId>().is_err());
    }
}
