//! Every string the widget shows, one table per language, in three parts so that each bundle
//! carries only its own: [`Texts`], what the server renders (the first layer, the preferences,
//! the policy viewer, the loader's words); [`StatusTexts`], what the main bundle says itself;
//! [`ViewTexts`], the views bundle's (the rights center).

use privacy_shared::api::ApiError;
use privacy_shared::{Language, ProblemKind};

/// The texts the server renders in one language: the first layer, the preferences, the policy
/// viewer and the loader's words.
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
    pub cookie_names: &'static str,
    /// For a purpose that stores nothing in the browser.
    pub no_cookies: &'static str,
    pub always_on: &'static str,
    pub gpc_honoured: &'static str,
    pub placeholder: &'static str,
    pub placeholder_button: &'static str,
    pub read_policy: &'static str,
    /// A part of the widget (a bundle) could not be loaded; shown by the loader.
    pub load_failed: &'static str,
    /// A view that was opened is still on its way (its bundles load); shown by the loader.
    pub loading_view: &'static str,
    pub dismiss: &'static str,
    /// The policy viewer's (rendered by the server too, `ssr::policy`).
    pub policy_title: &'static str,
    pub version: &'static str,
    pub effective: &'static str,
    pub translation_note: &'static str,
    pub contents: &'static str,
    pub rights_title: &'static str,
    pub rights_intro: &'static str,
    /// The name of the policy viewer's language switch.
    pub language: &'static str,
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
    cookie_names: "Cookies en opslag",
    no_cookies: "geen: niets in je browser",
    always_on: "Altijd aan",
    gpc_honoured: "Je browser vraagt met Global Privacy Control om je gegevens niet te delen. Dat respecteren we: optionele doelen staan uit.",
    placeholder: "Deze inhoud wordt pas geladen als je toestemming geeft voor:",
    placeholder_button: "Toestaan en laden",
    read_policy: "Lees de privacyverklaring",
    load_failed: "Dit onderdeel van de privacy-instellingen kon niet worden geladen. Controleer je verbinding en probeer het opnieuw.",
    loading_view: "De privacy-instellingen worden geladen…",
    dismiss: "Sluiten",
    policy_title: "Privacyverklaring",
    version: "Versie",
    effective: "geldig vanaf",
    translation_note: "Dit is een vertaling; de Nederlandse tekst is bindend.",
    contents: "Inhoud",
    rights_title: "Je rechten gebruiken",
    rights_intro: "Je kunt deze rechten uitoefenen via het formulier voor privacyverzoeken. We antwoorden binnen een maand; je hoeft geen reden op te geven.",
    language: "Taal",
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
    cookie_names: "Cookies and storage",
    no_cookies: "none: nothing in your browser",
    always_on: "Always on",
    gpc_honoured: "Your browser asks through Global Privacy Control not to share your data. We honour it: optional purposes are off.",
    placeholder: "This content loads only once you consent to:",
    placeholder_button: "Allow and load",
    read_policy: "Read the privacy statement",
    load_failed: "This part of the privacy settings could not be loaded. Check your connection and try again.",
    loading_view: "Loading the privacy settings…",
    dismiss: "Close",
    policy_title: "Privacy statement",
    version: "Version",
    effective: "effective",
    translation_note: "This is a translation; the Dutch text is binding.",
    contents: "Contents",
    rights_title: "Using your rights",
    rights_intro: "You can exercise these rights with the privacy request form. We answer within one month; you need not give a reason.",
    language: "Language",
};

pub fn texts(language: Language) -> &'static Texts {
    match language {
        Language::Nl => &NL,
        Language::En => &EN,
    }
}

/// What the main bundle says itself, in one language: the status line of a choice and the proof
/// of the current one, apart from [`Texts`] (which the server renders) so that it carries little.
pub struct StatusTexts {
    pub current_choice: &'static str,
    pub proof: &'static str,
    pub proof_event: &'static str,
    pub proof_notice: &'static str,
    pub proof_pending: &'static str,
    pub proof_download: &'static str,
    pub saving: &'static str,
    pub saved: &'static str,
    pub offline: &'static str,
    pub refused: &'static str,
    pub server_fault: &'static str,
}

pub static STATUS_NL: StatusTexts = StatusTexts {
    current_choice: "Je huidige keuze is van",
    proof: "Bewijs van je keuze",
    proof_event: "vastgelegd als gebeurtenis",
    proof_notice: "vingerafdruk van de tekst die je zag",
    proof_pending: "De server heeft je keuze nog niet vastgelegd; we blijven het proberen.",
    proof_download: "Ontvangstbewijs downloaden (JSON)",
    saving: "Je keuze wordt opgeslagen…",
    saved: "Je keuze is opgeslagen.",
    offline: "Je keuze geldt al, maar de server is niet bereikbaar: ze is nog niet vastgelegd.",
    refused: "De server heeft je keuze geweigerd:",
    server_fault: "De server kon je keuze niet vastleggen. Je keuze geldt wel in deze browser.",
};

pub static STATUS_EN: StatusTexts = StatusTexts {
    current_choice: "Your current choice is from",
    proof: "Proof of your choice",
    proof_event: "recorded as event",
    proof_notice: "fingerprint of the text you were shown",
    proof_pending: "The server has not recorded your choice yet; we keep trying.",
    proof_download: "Download the receipt (JSON)",
    saving: "Saving your choice…",
    saved: "Your choice has been saved.",
    offline: "Your choice already applies, but the server cannot be reached: it is not recorded yet.",
    refused: "The server refused your choice:",
    server_fault: "The server could not record your choice. It does apply in this browser.",
};

pub fn status_texts(language: Language) -> &'static StatusTexts {
    match language {
        Language::Nl => &STATUS_NL,
        Language::En => &STATUS_EN,
    }
}

/// The texts of the views bundle (the rights center) in one language, apart from [`Texts`] so that
/// the main bundle does not carry them.
pub struct ViewTexts {
    /// Before the authority's name, in the rights center and the policy viewer (which the server
    /// renders with it).
    pub complaint: &'static str,
    pub rights_center_title: &'static str,
    pub rights_center_intro: &'static str,
    pub rights_kind: &'static str,
    pub rights_email: &'static str,
    pub rights_signed_in: &'static str,
    pub rights_name: &'static str,
    pub rights_details: &'static str,
    pub rights_submit: &'static str,
    pub rights_code_sent: &'static str,
    pub rights_code: &'static str,
    pub rights_confirm: &'static str,
    pub rights_received: &'static str,
    pub rights_number: &'static str,
    pub rights_due: &'static str,
    pub rights_status: &'static str,
    pub rights_keep_number: &'static str,
    pub rights_history: &'static str,
    pub rights_files: &'static str,
    pub field_empty: &'static str,
    pub field_too_long: &'static str,
    pub field_email: &'static str,
    pub field_code: &'static str,
    pub field_invalid: &'static str,
    pub code_wrong: &'static str,
    pub code_expired: &'static str,
    pub code_locked: &'static str,
}

pub static VIEW_NL: ViewTexts = ViewTexts {
    complaint: "Ben je het niet eens met hoe we met je gegevens omgaan? Dan kun je een klacht indienen bij de ",
    rights_center_title: "Privacyverzoek indienen",
    rights_center_intro: "Kies welk recht je wilt gebruiken. Je hoeft geen reden op te geven en geen kopie van je identiteitsbewijs te sturen.",
    rights_kind: "Wat wil je?",
    rights_email: "Je e-mailadres (we sturen er een code naartoe)",
    rights_signed_in: "Je bent ingelogd: we koppelen het verzoek aan je account.",
    rights_name: "Je naam (optioneel)",
    rights_details: "Toelichting (optioneel)",
    rights_submit: "Verzoek indienen",
    rights_code_sent: "We hebben een code van 6 cijfers naar je e-mailadres gestuurd voor verzoek {number}.",
    rights_code: "Code uit de e-mail",
    rights_confirm: "Bevestigen",
    rights_received: "We hebben je verzoek ontvangen.",
    rights_number: "Verzoeknummer",
    rights_due: "Uiterlijk antwoord op",
    rights_status: "Status",
    rights_keep_number: "Bewaar het verzoeknummer. We hebben je een e-mail gestuurd met een link naar de status van je verzoek, en we sturen je bericht zodra er iets verandert.",
    rights_history: "Je verzoeken",
    rights_files: "Bestanden van het antwoord ophalen ({count})",
    field_empty: "Vul dit veld in.",
    field_too_long: "Gebruik hooguit {max} tekens.",
    field_email: "Vul een geldig e-mailadres in, zoals naam@voorbeeld.nl.",
    field_code: "De code bestaat uit precies 6 cijfers.",
    field_invalid: "Deze invoer klopt niet.",
    code_wrong: "Deze code klopt niet. Je kunt het nog {left} keer proberen.",
    code_expired: "Deze code is verlopen. Dien het verzoek opnieuw in.",
    code_locked: "Er is te vaak een verkeerde code ingevuld. Dien het verzoek opnieuw in.",
};

pub static VIEW_EN: ViewTexts = ViewTexts {
    complaint: "Do you disagree with how we handle your data? Then you can lodge a complaint with the ",
    rights_center_title: "File a privacy request",
    rights_center_intro: "Choose which right you want to use. You need not give a reason or send a copy of your ID.",
    rights_kind: "What would you like?",
    rights_email: "Your e-mail address (we send a code to it)",
    rights_signed_in: "You are signed in: we link the request to your account.",
    rights_name: "Your name (optional)",
    rights_details: "Details (optional)",
    rights_submit: "File request",
    rights_code_sent: "We sent a 6-digit code to your e-mail address for request {number}.",
    rights_code: "Code from the e-mail",
    rights_confirm: "Confirm",
    rights_received: "We have received your request.",
    rights_number: "Request number",
    rights_due: "Answer due by",
    rights_status: "Status",
    rights_keep_number: "Keep the request number. We have sent you an e-mail with a link to your request's status, and we will write to you whenever something changes.",
    rights_history: "Your requests",
    rights_files: "Get the answer's files ({count})",
    field_empty: "Fill in this field.",
    field_too_long: "Use at most {max} characters.",
    field_email: "Enter a valid e-mail address, such as name@example.com.",
    field_code: "The code is exactly 6 digits.",
    field_invalid: "This input is not valid.",
    code_wrong: "This code is wrong. You can try {left} more times.",
    code_expired: "This code has expired. File the request again.",
    code_locked: "A wrong code was entered too often. File the request again.",
};

pub fn view_texts(language: Language) -> &'static ViewTexts {
    match language {
        Language::Nl => &VIEW_NL,
        Language::En => &VIEW_EN,
    }
}

/// A failed call, explained in the person's language.
pub fn explain(error: &ApiError, language: Language) -> String {
    let t = status_texts(language);
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
