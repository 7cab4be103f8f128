//! The machine-readable facts of the policy (PRODUCT.md §3): the data categories with their legal
//! basis and retention, the recipients, and the automated decisions. Each names the policy
//! section it comes from by anchor, so the viewer can link to the binding text.

use crate::Language;

/// A short text in both interface languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    pub nl: &'static str,
    pub en: &'static str,
}

impl Text {
    pub fn get(self, language: Language) -> &'static str {
        match language {
            Language::Nl => self.nl,
            Language::En => self.en,
        }
    }
}

/// A category of personal data the policy lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataCategory {
    pub id: &'static str,
    /// The anchor of the policy section that describes it.
    pub section: &'static str,
    pub label: Text,
    pub legal_basis: Text,
    pub retention: Text,
}

const CONTRACT: Text = Text {
    nl: "Uitvoering van de overeenkomst",
    en: "Performance of the contract",
};
const CONTRACT_DURATION: Text = Text {
    nl: "Zolang de overeenkomst loopt",
    en: "For the duration of the contract",
};

pub static DATA_CATEGORIES: &[DataCategory] = &[
    DataCategory {
        id: "identity",
        section: "name-and-address",
        label: Text {
            nl: "Naam en adresgegevens",
            en: "Name and address details",
        },
        legal_basis: CONTRACT,
        retention: CONTRACT_DURATION,
    },
    DataCategory {
        id: "business",
        section: "business-details",
        label: Text {
            nl: "Bedrijfsnaam en vestigingsadres",
            en: "Company name and business address",
        },
        legal_basis: CONTRACT,
        retention: CONTRACT_DURATION,
    },
    DataCategory {
        id: "email",
        section: "email-address",
        label: Text {
            nl: "E-mailadres",
            en: "E-mail address",
        },
        legal_basis: Text {
            nl: "Uitvoering van de overeenkomst; de nieuwsbrief met toestemming (af te melden)",
            en: "Performance of the contract; the newsletter by consent (opt-out)",
        },
        retention: CONTRACT_DURATION,
    },
    DataCategory {
        id: "phone",
        section: "phone-number",
        label: Text {
            nl: "Telefoonnummer",
            en: "Phone number",
        },
        legal_basis: Text {
            nl: "Uitvoering van de overeenkomst (noodgevallen, tweestapsverificatie per sms, monitoring)",
            en: "Performance of the contract (emergencies, two-step verification by text message, monitoring)",
        },
        retention: CONTRACT_DURATION,
    },
    DataCategory {
        id: "credentials",
        section: "login-and-customer-number",
        label: Text {
            nl: "Inloggegevens en klantnummer",
            en: "Login details and customer number",
        },
        legal_basis: CONTRACT,
        retention: CONTRACT_DURATION,
    },
    DataCategory {
        id: "ip",
        section: "ip-address",
        label: Text {
            nl: "IP-adres",
            en: "IP address",
        },
        legal_basis: Text {
            nl: "Uitvoering van de overeenkomst en beveiliging",
            en: "Performance of the contract and security",
        },
        retention: Text {
            nl: "Zoals getoond in het accountlogboek",
            en: "As shown in the account log",
        },
    },
    DataCategory {
        id: "payment",
        section: "payment-details",
        label: Text {
            nl: "Betaalgegevens, offerte- en factuurnummers",
            en: "Payment details, quotation and invoice numbers",
        },
        legal_basis: Text {
            nl: "Uitvoering van de overeenkomst en wettelijke verplichting",
            en: "Performance of the contract and legal obligation",
        },
        retention: Text {
            nl: "De wettelijke bewaartermijn",
            en: "The statutory retention period",
        },
    },
    DataCategory {
        id: "applications",
        section: "job-applications",
        label: Text {
            nl: "Sollicitatiegegevens",
            en: "Job application data",
        },
        legal_basis: Text {
            nl: "Gerechtvaardigd belang of toestemming",
            en: "Legitimate interest or consent",
        },
        retention: Text {
            nl: "Binnen 12 maanden verwijderd als je niet wordt aangenomen",
            en: "Deleted within 12 months if you are not hired",
        },
    },
    DataCategory {
        id: "cookies",
        section: "cookie-data",
        label: Text {
            nl: "Cookiegegevens",
            en: "Cookie data",
        },
        legal_basis: Text {
            nl: "Toestemming, op elk moment in te trekken",
            en: "Consent, which can be withdrawn at any time",
        },
        retention: Text {
            nl: "Per cookie",
            en: "Per cookie",
        },
    },
    DataCategory {
        id: "server_logs",
        section: "server-logs",
        label: Text {
            nl: "Serverlogs",
            en: "Server logs",
        },
        legal_basis: Text {
            nl: "Gerechtvaardigd belang (beveiliging)",
            en: "Legitimate interest (security)",
        },
        retention: Text {
            nl: "Kort",
            en: "Short",
        },
    },
    DataCategory {
        id: "crash_data",
        section: "crash-data",
        label: Text {
            nl: "Crashgegevens van de interface app",
            en: "Interface app crash data",
        },
        legal_basis: Text {
            nl: "Toestemming, in te trekken in de instellingen van de interface",
            en: "Consent, which can be withdrawn in the interface settings",
        },
        retention: Text {
            nl: "3 maanden",
            en: "3 months",
        },
    },
    DataCategory {
        id: "unsolicited",
        section: "unsolicited-data",
        label: Text {
            nl: "Ongevraagde gegevens uit tickets, sociale media en e-mail",
            en: "Unsolicited data from tickets, social media and e-mail",
        },
        legal_basis: Text {
            nl: "Geen",
            en: "None",
        },
        retention: Text {
            nl: "Verwijderd voor zover technisch mogelijk",
            en: "Deleted as far as technically possible",
        },
    },
];

/// Someone the policy says data may go to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recipient {
    pub id: &'static str,
    pub name: &'static str,
    pub why: Text,
    /// Whether the person's consent is the ground for sharing.
    pub by_consent: bool,
    /// Where the recipient processes the data.
    pub country: Text,
    /// For a country outside the EEA: the safeguard of the transfer (GDPR Chapter V).
    pub transfer_safeguard: Option<Text>,
}

const NETHERLANDS: Text = Text {
    nl: "Nederland",
    en: "the Netherlands",
};
const EU: Text = Text {
    nl: "Europese Unie",
    en: "European Union",
};
const UNITED_STATES: Text = Text {
    nl: "Verenigde Staten",
    en: "United States",
};
/// Google LLC and Meta Platforms, Inc. are certified under the EU-U.S. Data Privacy Framework
/// (adequacy decision of 10 July 2023).
const DATA_PRIVACY_FRAMEWORK: Option<Text> = Some(Text {
    nl: "doorgifte op basis van het EU-VS Data Privacy Framework (adequaatheidsbesluit)",
    en: "transfer under the EU-U.S. Data Privacy Framework (adequacy decision)",
});

impl Recipient {
    /// The recipient with `id`, from [`RECIPIENTS`].
    pub fn by_id(id: &str) -> Option<&'static Recipient> {
        RECIPIENTS.iter().find(|r| r.id == id)
    }

    /// Name, country and, outside the EEA, the transfer safeguard:
    /// "Google Analytics (Verenigde Staten; doorgifte op basis van …)".
    pub fn describe(&self, language: Language) -> String {
        match self.transfer_safeguard {
            Some(safeguard) => format!(
                "{} ({}; {})",
                self.name,
                self.country.get(language),
                safeguard.get(language)
            ),
            None => format!("{} ({})", self.name, self.country.get(language)),
        }
    }
}

pub static RECIPIENTS: &[Recipient] = &[
    Recipient {
        id: "ideal",
        name: "iDEAL",
        why: Text {
            nl: "Betalingen",
            en: "Payments",
        },
        by_consent: false,
        country: NETHERLANDS,
        transfer_safeguard: None,
    },
    Recipient {
        id: "paypal",
        name: "PayPal",
        why: Text {
            nl: "Betalingen",
            en: "Payments",
        },
        by_consent: false,
        country: EU,
        transfer_safeguard: None,
    },
    Recipient {
        id: "police",
        name: "Politie",
        why: Text {
            nl: "Op een wettelijke vordering",
            en: "On a legal demand",
        },
        by_consent: false,
        country: NETHERLANDS,
        transfer_safeguard: None,
    },
    Recipient {
        id: "domain_registry",
        name: "Whois-database van de domeinnaamorganisatie",
        why: Text {
            nl: "Registratie van een domeinnaam",
            en: "Registration of a domain name",
        },
        by_consent: false,
        country: NETHERLANDS,
        transfer_safeguard: None,
    },
    Recipient {
        id: "google_analytics",
        name: "Google Analytics",
        why: Text {
            nl: "Statistieken over het gebruik van de website",
            en: "Statistics on the use of the website",
        },
        by_consent: true,
        country: UNITED_STATES,
        transfer_safeguard: DATA_PRIVACY_FRAMEWORK,
    },
    Recipient {
        id: "google_recaptcha",
        name: "Google reCAPTCHA",
        why: Text {
            nl: "Onderscheid tussen mensen en robots",
            en: "Telling people from robots",
        },
        by_consent: true,
        country: UNITED_STATES,
        transfer_safeguard: DATA_PRIVACY_FRAMEWORK,
    },
    Recipient {
        id: "google_ads",
        name: "Google (advertenties)",
        why: Text {
            nl: "Advertenties die passen bij je interesses",
            en: "Advertising that fits your interests",
        },
        by_consent: true,
        country: UNITED_STATES,
        transfer_safeguard: DATA_PRIVACY_FRAMEWORK,
    },
    Recipient {
        id: "meta",
        name: "Meta (Facebook)",
        why: Text {
            nl: "Advertenties die passen bij je interesses",
            en: "Advertising that fits your interests",
        },
        by_consent: true,
        country: UNITED_STATES,
        transfer_safeguard: DATA_PRIVACY_FRAMEWORK,
    },
    Recipient {
        id: "research_agencies",
        name: "Onderzoeksbureaus",
        why: Text {
            nl: "Tevredenheidsonderzoek",
            en: "Satisfaction surveys",
        },
        by_consent: true,
        country: NETHERLANDS,
        transfer_safeguard: None,
    },
    Recipient {
        id: "group_companies",
        name: "Groepsmaatschappijen binnen de EU",
        why: Text {
            nl: "Marketing en intern beheer binnen de groep",
            en: "Marketing and internal management within the group",
        },
        by_consent: true,
        country: EU,
        transfer_safeguard: None,
    },
];

/// A decision the policy says is taken automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AutomatedDecision {
    pub id: &'static str,
    pub label: Text,
}

pub static AUTOMATED_DECISIONS: &[AutomatedDecision] = &[
    AutomatedDecision {
        id: "payment_reminders",
        label: Text {
            nl: "Betalingsherinneringen",
            en: "Payment reminders",
        },
    },
    AutomatedDecision {
        id: "automatic_blocking",
        label: Text {
            nl: "Automatisch blokkeren van diensten",
            en: "Automatic blocking of services",
        },
    },
    AutomatedDecision {
        id: "collection_agency",
        label: Text {
            nl: "Inschakelen van een incassobureau",
            en: "Engaging a debt collection agency",
        },
    },
    AutomatedDecision {
        id: "automatic_termination",
        label: Text {
            nl: "Automatische beëindiging van diensten",
            en: "Automatic termination of services",
        },
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{self, CURRENT_VERSION};

    #[test]
    fn every_fact_points_at_a_section_of_the_current_policy() {
        let document = policy::document(CURRENT_VERSION, Language::Nl)
            .unwrap()
            .unwrap();
        for category in DATA_CATEGORIES {
            assert!(
                document
                    .sections
                    .iter()
                    .any(|s| s.anchor == category.section),
                "{}",
                category.id
            );
        }
    }

    #[test]
    fn every_recipient_and_decision_is_named_in_the_binding_text() {
        let text = policy::document(CURRENT_VERSION, Language::Nl)
            .unwrap()
            .unwrap()
            .plain_text();
        for needle in [
            "iDEAL",
            "PayPal",
            "politie",
            "whois",
            "Google Analytics",
            "reCAPTCHA",
            "onderzoeksbureaus",
        ] {
            assert!(text.contains(needle), "{needle}");
        }
        for needle in ["herinneringen", "blokkeren", "incassobureau", "beëindiging"] {
            assert!(text.contains(needle), "{needle}");
        }
    }
}
