//! The purposes a person can consent to (PRODUCT.md §4). Their ids are stable: they appear in the
//! cookie, the API, the ledger, the JS API and the script attributes.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

use crate::Language;
use crate::facts::Text;

/// A purpose of processing that has its own toggle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

impl PurposeId {
    /// What the purpose is for, as the preferences dialog explains it.
    pub fn description(self) -> Text {
        match self {
            Self::Necessary => Text {
                nl: "Nodig om de website en je account te laten werken en te beveiligen, en om je cookiekeuze te onthouden. Deze kun je niet uitzetten.",
                en: "Needed to make the website and your account work and stay secure, and to remember your cookie choice. These cannot be switched off.",
            },
            Self::Analytics => Text {
                nl: "Meten hoe de website wordt gebruikt, zodat we pagina's kunnen verbeteren.",
                en: "Measuring how the website is used, so that we can improve pages.",
            },
            Self::Advertising => Text {
                nl: "Advertenties op Google en Facebook afstemmen op je interesses.",
                en: "Tailoring advertisements on Google and Facebook to your interests.",
            },
            Self::Recaptcha => Text {
                nl: "Onderscheiden of een formulier door een mens of een robot wordt ingevuld; daarbij gaan je IP-adres en andere gegevens naar Google. Formulieren werken ook zonder.",
                en: "Telling whether a form is filled in by a person or a robot; your IP address and other data go to Google. Forms also work without it.",
            },
            Self::Feedback => Text {
                nl: "Onderzoeksbureaus vragen je naar je tevredenheid over onze diensten.",
                en: "Research agencies ask about your satisfaction with our services.",
            },
            Self::Offers => Text {
                nl: "Aanbiedingen die passen bij je gegevens, en het delen van je gegevens binnen de groep in de EU voor marketing.",
                en: "Offers that fit your data, and sharing your data within the group in the EU for marketing.",
            },
            Self::Newsletter => Text {
                nl: "Nieuwsbrieven over nieuwe ontwikkelingen bij virtio.nl.",
                en: "Newsletters about new developments at virtio.nl.",
            },
            Self::CrashReports => Text {
                nl: "Gegevens over crashes van de interface app, alleen om de app te verbeteren en nooit voor commerciële doeleinden.",
                en: "Data about crashes of the interface app, only to improve the app and never for commercial purposes.",
            },
        }
    }

    /// Who receives the data for this purpose besides Virtio ICT B.V. itself: ids of
    /// [`crate::facts::RECIPIENTS`], the policy's one list of recipients (empty when only the
    /// controller processes them), as the version in force lists them
    /// ([`crate::policy::ASKED`]).
    pub fn recipient_ids(self) -> &'static [&'static str] {
        crate::policy::Asked::current()
            .recipients(self)
            .unwrap_or_default()
    }

    /// Who processes the data for this purpose, each with its country and, outside the EEA, the
    /// transfer safeguard; Virtio ICT B.V. (the controller) first.
    pub fn processors(self, language: Language) -> Vec<String> {
        let controller = match language {
            Language::Nl => "Virtio ICT B.V. (Nederland)",
            Language::En => "Virtio ICT B.V. (the Netherlands)",
        };
        std::iter::once(controller.to_owned())
            .chain(
                self.recipient_ids()
                    .iter()
                    .filter_map(|id| crate::facts::Recipient::by_id(id))
                    .map(|r| r.describe(language)),
            )
            .collect()
    }

    /// How long the data are kept, where the policy or the cookies' own lifetimes say so.
    pub fn retention(self) -> Option<Text> {
        match self {
            Self::Necessary => Some(Text {
                nl: "Je cookiekeuze: 12 maanden",
                en: "Your cookie choice: 12 months",
            }),
            Self::Analytics => Some(Text {
                nl: "_ga: 2 jaar; _gid: 24 uur",
                en: "_ga: 2 years; _gid: 24 hours",
            }),
            Self::Advertising => Some(Text {
                nl: "_gcl_au en _fbp: 90 dagen",
                en: "_gcl_au and _fbp: 90 days",
            }),
            Self::Recaptcha => Some(Text {
                nl: "_GRECAPTCHA: 6 maanden",
                en: "_GRECAPTCHA: 6 months",
            }),
            Self::Newsletter => Some(Text {
                nl: "Tot je je afmeldt",
                en: "Until you unsubscribe",
            }),
            Self::CrashReports => Some(Text {
                nl: "3 maanden",
                en: "3 months",
            }),
            Self::Feedback | Self::Offers => None,
        }
    }

    /// Names of the cookies set for this purpose, deleted on withdrawal; a trailing `*` matches any
    /// suffix.
    pub fn cookies(self) -> &'static [&'static str] {
        match self {
            Self::Necessary => &["vp_consent"],
            Self::Analytics => &["_ga", "_ga_*", "_gid", "_gat*"],
            Self::Advertising => &["_gcl_*", "_fbp", "_fbc"],
            Self::Recaptcha => &["_GRECAPTCHA"],
            Self::Feedback | Self::Offers | Self::Newsletter | Self::CrashReports => &[],
        }
    }

    /// Keys this purpose's scripts keep in `localStorage` and `sessionStorage`, removed on
    /// withdrawal; a trailing `*` matches any suffix.
    pub fn storage_keys(self) -> &'static [&'static str] {
        match self {
            Self::Analytics => &["_ga*", "_gid"],
            Self::Advertising => &["_gcl_*", "_fbp", "__fb*"],
            Self::Recaptcha => &["_grecaptcha", "rc::*"],
            Self::Necessary
            | Self::Feedback
            | Self::Offers
            | Self::Newsletter
            | Self::CrashReports => &[],
        }
    }

    /// The Google Consent Mode v2 signals this purpose grants.
    pub fn consent_mode_signals(self) -> &'static [&'static str] {
        match self {
            Self::Necessary => &["functionality_storage", "security_storage"],
            Self::Analytics => &["analytics_storage"],
            Self::Advertising => &["ad_storage", "ad_user_data", "ad_personalization"],
            _ => &[],
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

/// Whether `name` matches one of `patterns`, where a trailing `*` matches any suffix.
pub(crate) fn matches_any(patterns: &[&str], name: &str) -> bool {
    patterns
        .iter()
        .any(|pattern| match pattern.strip_suffix('*') {
            Some(prefix) => name.starts_with(prefix),
            None => name == *pattern,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_processor_comes_from_the_one_list_of_recipients_with_its_country() {
        for purpose in PurposeId::ALL {
            for id in purpose.recipient_ids() {
                let recipient = crate::facts::Recipient::by_id(id)
                    .unwrap_or_else(|| panic!("{purpose}: `{id}` is not in RECIPIENTS"));
                assert!(recipient.by_consent, "{id} receives data by consent");
            }
            let listed = purpose.processors(Language::Nl);
            assert_eq!(listed.len(), purpose.recipient_ids().len() + 1);
            assert!(listed[0].starts_with("Virtio ICT B.V."));
        }
        let analytics = PurposeId::Analytics.processors(Language::En);
        assert_eq!(
            analytics[1],
            "Google Analytics (United States; transfer under the EU-U.S. Data Privacy Framework (adequacy decision))"
        );
    }

    #[test]
    fn ids_round_trip_through_text_and_json() {
        for purpose in PurposeId::ALL {
            assert_eq!(purpose.as_str().parse::<PurposeId>(), Ok(purpose));
            let json = serde_json::to_string(&purpose).unwrap();
            assert_eq!(json, format!("\"{}\"", purpose.as_str()));
        }
        assert!("marketing".parse::<PurposeId>().is_err());
    }

    #[test]
    fn consent_mode_covers_the_four_v2_storage_signals_once() {
        let mut signals: Vec<&str> = PurposeId::ALL
            .iter()
            .flat_map(|p| p.consent_mode_signals())
            .copied()
            .collect();
        signals.sort();
        let before = signals.len();
        signals.dedup();
        assert_eq!(before, signals.len(), "a signal belongs to one purpose");
        for signal in [
            "ad_storage",
            "ad_user_data",
            "ad_personalization",
            "analytics_storage",
        ] {
            assert!(signals.contains(&signal), "{signal}");
        }
    }
}
