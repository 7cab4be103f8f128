//! Every string the widget shows, one table per language.

use privacy_shared::api::ApiError;
use privacy_shared::{Language, ProblemKind};

/// The widget's texts in one language.
pub struct Texts {
    pub banner_title: &'static str,
    /// Before the list of purposes.
    pub banner_intro: &'static str,
    pub banner_necessary: &'static str,
    pub banner_withdraw: &'static str,
    pub accept_all: &'static str,
    pub reject_all: &'static str,
    pub settings_link: &'static str,
    pub open_preferences: &'static str,
    pub preferences_title: &'static str,
    pub preferences_intro: &'static str,
    pub save_choices: &'static str,
    pub close: &'static str,
    pub processors: &'static str,
    pub retention: &'static str,
    pub always_on: &'static str,
    pub gpc_honoured: &'static str,
    pub placeholder: &'static str,
    pub placeholder_button: &'static str,
    pub saving: &'static str,
    pub saved: &'static str,
    pub offline: &'static str,
    pub refused: &'static str,
    pub server_fault: &'static str,
}

pub static NL: Texts = Texts {
    banner_title: "Jouw privacy",
    banner_intro: "Virtio ICT B.V. vraagt je toestemming voor:",
    banner_necessary: "Noodzakelijke cookies staan altijd aan; zonder je toestemming plaatsen we geen andere.",
    banner_withdraw: "Je kunt je keuze op elk moment wijzigen of intrekken via de knop Cookie-instellingen.",
    accept_all: "Alles accepteren",
    reject_all: "Alles weigeren",
    settings_link: "Cookie-instellingen",
    open_preferences: "Instellingen",
    preferences_title: "Privacyvoorkeuren",
    preferences_intro: "Kies per doel of je toestemming geeft. Alles staat uit tot je het zelf aanzet; je kunt je keuze altijd weer wijzigen.",
    save_choices: "Keuzes opslaan",
    close: "Sluiten zonder te kiezen",
    processors: "Verwerkers",
    retention: "Bewaartermijn",
    always_on: "Altijd aan",
    gpc_honoured: "Je browser vraagt met Global Privacy Control om je gegevens niet te delen. Dat respecteren we: optionele doelen staan uit.",
    placeholder: "Deze inhoud wordt pas geladen als je toestemming geeft voor:",
    placeholder_button: "Toestaan en laden",
    saving: "Je keuze wordt opgeslagen…",
    saved: "Je keuze is opgeslagen.",
    offline: "Je keuze geldt al, maar de server is niet bereikbaar: ze is nog niet vastgelegd.",
    refused: "De server heeft je keuze geweigerd:",
    server_fault: "De server kon je keuze niet vastleggen. Je keuze geldt wel in deze browser.",
};

pub static EN: Texts = Texts {
    banner_title: "Your privacy",
    banner_intro: "Virtio ICT B.V. asks your consent for:",
    banner_necessary: "Necessary cookies are always on; without your consent we place no others.",
    banner_withdraw: "You can change or withdraw your choice at any time with the Cookie settings button.",
    accept_all: "Accept all",
    reject_all: "Reject all",
    settings_link: "Cookie settings",
    open_preferences: "Settings",
    preferences_title: "Privacy preferences",
    preferences_intro: "Choose per purpose whether you consent. Everything is off until you switch it on; you can always change your choice again.",
    save_choices: "Save choices",
    close: "Close without choosing",
    processors: "Processors",
    retention: "Retention",
    always_on: "Always on",
    gpc_honoured: "Your browser asks through Global Privacy Control not to share your data. We honour it: optional purposes are off.",
    placeholder: "This content loads only once you consent to:",
    placeholder_button: "Allow and load",
    saving: "Saving your choice…",
    saved: "Your choice has been saved.",
    offline: "Your choice already applies, but the server cannot be reached: it is not recorded yet.",
    refused: "The server refused your choice:",
    server_fault: "The server could not record your choice. It does apply in this browser.",
};

pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
    }
}

/// A failed call, explained in the person's language.
pub fn explain(error: &ApiError, language: Language) -> String {
    let t = texts(language);
    match error {
        ApiError::Network(_) => t.offline.to_owned(),
        ApiError::Problem(problem) if problem.status < 500 => {
            let reason = match (problem.kind(), language) {
                (Some(ProblemKind::ValidationFailed), Language::Nl) => "een veld is ongeldig",
                (Some(ProblemKind::ValidationFailed), Language::En) => "a field is invalid",
                (_, Language::Nl) => "het verzoek is ongeldig",
                (_, Language::En) => "the request is invalid",
            };
            format!("{} {reason}.", t.refused)
        }
        ApiError::Problem(_) | ApiError::Unexpected { .. } => t.server_fault.to_owned(),
    }
}
