//! The rights center (PRODUCT.md §5.3): one form for every right, checked with the same rules the
//! server applies; a visitor confirms with the e-mailed code, a logged-in customer (identity
//! token) needs no extra step; then the request number, the due date and the status. It never
//! asks for a reason, a copy of an ID or fixed wording, and uses no reCAPTCHA.

use privacy_shared::api::{ApiClient, ApiError};
use privacy_shared::rights::{
    CreateRightsRequest, RequestCreated, RequestStatus, RequestView, RightsRequestKind,
    VerifyRequest,
};
use privacy_shared::validate::{BoundedText, EmailAddress, ValidationError, VerificationCode};
use privacy_shared::{Language, ProblemKind, SiteId};
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::browser;
use crate::i18n::{explain, view_texts};

#[derive(Properties, PartialEq)]
pub struct RightsCenterProps {
    pub api_base: String,
    pub site: SiteId,
    pub language: Language,
}

#[derive(Clone, PartialEq)]
enum Step {
    Form,
    /// Waiting for the e-mailed code.
    Verify(RequestCreated),
    Done(RequestCreated, RequestView),
}

/// Why a field is refused, in the person's language.
fn field_message(error: &ValidationError, language: Language) -> String {
    let t = view_texts(language);
    match error {
        ValidationError::Empty => t.field_empty.to_owned(),
        ValidationError::TooLong { max } => t.field_too_long.replace("{max}", &max.to_string()),
        ValidationError::InvalidEmail => t.field_email.to_owned(),
        ValidationError::InvalidCode => t.field_code.to_owned(),
        _ => t.field_invalid.to_owned(),
    }
}

/// A refused code, in the person's language.
fn code_problem(error: &ApiError, language: Language) -> String {
    let t = view_texts(language);
    match error {
        ApiError::Problem(p) if p.kind() == Some(ProblemKind::VerificationLocked) => {
            t.code_locked.to_owned()
        }
        ApiError::Problem(p) => match p.errors.first().map(|e| e.code.as_str()) {
            Some("wrong_code") => {
                let left: String = p.errors[0]
                    .message
                    .chars()
                    .filter(char::is_ascii_digit)
                    .collect();
                t.code_wrong.replace("{left}", &left)
            }
            Some("code_expired") => t.code_expired.to_owned(),
            _ => explain(error, language),
        },
        _ => explain(error, language),
    }
}

/// An optional text field: `None` when blank, the refusal added to `found` when invalid.
fn optional_text<const MAX: usize>(
    value: &str,
    field: &'static str,
    found: &mut Vec<(&'static str, String)>,
    language: Language,
) -> Option<BoundedText<MAX>> {
    if value.trim().is_empty() {
        return None;
    }
    BoundedText::parse(value)
        .map_err(|e| found.push((field, field_message(&e, language))))
        .ok()
}

fn input_value(event: &InputEvent) -> String {
    event
        .target_dyn_into::<HtmlInputElement>()
        .map(|i| i.value())
        .or_else(|| {
            event
                .target_dyn_into::<web_sys::HtmlTextAreaElement>()
                .map(|t| t.value())
        })
        .unwrap_or_default()
}

#[component]
pub fn RightsCenter(props: &RightsCenterProps) -> Html {
    let language = props.language;
    let t = view_texts(language);
    let step = use_state(|| Step::Form);
    let kind = use_state(|| RightsRequestKind::Access);
    let email = use_state(String::new);
    let name = use_state(String::new);
    let details = use_state(String::new);
    let code = use_state(String::new);
    // Per field: the message shown under it; and one message for the whole form.
    let errors = use_state(Vec::<(&'static str, String)>::new);
    let failure = use_state(|| None::<String>);
    let busy = use_state(|| false);
    // A request opened from an e-mailed status link: shown first, above the form.
    let linked = use_state(saved::take_link);
    let client = ApiClient::new(props.api_base.clone());
    // The host page may pass the customer's identity after this renders.
    let identity = crate::views::use_identity();
    // The history reloads whenever a request reaches its confirmation.
    let generation = match &*step {
        Step::Done(..) => 1,
        _ => 0,
    };

    let bind = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: InputEvent| state.set(input_value(&e)))
    };
    let onkind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            let value = e
                .target_dyn_into::<web_sys::HtmlSelectElement>()
                .map(|s| s.value())
                .unwrap_or_default();
            if let Some(k) = RightsRequestKind::ALL
                .into_iter()
                .find(|k| k.as_str() == value)
            {
                kind.set(k);
            }
        })
    };

    let onsubmit = {
        let (step, errors, failure, busy) =
            (step.clone(), errors.clone(), failure.clone(), busy.clone());
        let (kind, email, name, details) =
            (kind.clone(), email.clone(), name.clone(), details.clone());
        let client = client.clone();
        let site = props.site;
        let identity = identity.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut found = Vec::new();
            let email = if identity.is_some() && email.trim().is_empty() {
                None
            } else {
                match EmailAddress::parse(&email) {
                    Ok(email) => Some(email),
                    Err(e) => {
                        found.push(("email", field_message(&e, language)));
                        None
                    }
                }
            };
            let name = optional_text(&name, "name", &mut found, language);
            let details = optional_text(&details, "details", &mut found, language);
            errors.set(found.clone());
            failure.set(None);
            if !found.is_empty() {
                return;
            }
            let body = CreateRightsRequest {
                site,
                kind: *kind,
                language,
                email,
                name,
                details,
                subject: browser::read_consent_cookie().map(|c| c.subject),
            };
            let (step, failure, busy) = (step.clone(), failure.clone(), busy.clone());
            let client = client.clone();
            let identity = identity.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let result = client.create_request(&body, identity.as_deref()).await;
                if let Ok(created) = &result {
                    saved::add(created.id, &created.status_token);
                }
                match result {
                    // The server decides whether a code is needed (a customer's token verifies
                    // at once); the form follows its answer.
                    Ok(created) if created.status != RequestStatus::AwaitingVerification => {
                        let view = client
                            .request_status(created.id, &created.status_token)
                            .await;
                        match view {
                            Ok(view) => {
                                announce(&view);
                                step.set(Step::Done(created, view));
                            }
                            Err(e) => failure.set(Some(explain(&e, language))),
                        }
                    }
                    Ok(created) => step.set(Step::Verify(created)),
                    Err(e) => failure.set(Some(explain(&e, language))),
                }
                busy.set(false);
            });
        })
    };

    let onverify = {
        let (step, errors, failure, busy, code) = (
            step.clone(),
            errors.clone(),
            failure.clone(),
            busy.clone(),
            code.clone(),
        );
        let client = client.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Step::Verify(created) = (*step).clone() else {
                return;
            };
            let parsed = match VerificationCode::parse(code.trim()) {
                Ok(code) => code,
                Err(e) => {
                    errors.set(vec![("code", field_message(&e, language))]);
                    return;
                }
            };
            errors.set(Vec::new());
            let (step, failure, busy, client) =
                (step.clone(), failure.clone(), busy.clone(), client.clone());
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match client
                    .verify_request(
                        created.id,
                        &created.status_token,
                        &VerifyRequest { code: parsed },
                    )
                    .await
                {
                    Ok(view) => {
                        failure.set(None);
                        announce(&view);
                        step.set(Step::Done(created, view));
                    }
                    Err(e) => failure.set(Some(code_problem(&e, language))),
                }
                busy.set(false);
            });
        })
    };

    let error_for = |field: &str| {
        errors
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.clone())
    };
    let field_error = |field: &str| -> Html {
        match error_for(field) {
            Some(message) => html! {
                <p class="vp-error" id={format!("vp-rights-{field}-error")} data-vp-error={field.to_owned()}>{ message }</p>
            },
            None => html! {},
        }
    };
    let described = |field: &str| error_for(field).map(|_| format!("vp-rights-{field}-error"));
    let failure_html = match &*failure {
        Some(message) => {
            html! { <p class="vp-error" role="alert" data-vp="rights-failure">{ message.clone() }</p> }
        }
        None => html! {},
    };

    let body = match &*step {
        Step::Form => html! {
            <form {onsubmit} novalidate=true data-vp="rights-form">
                <div class="vp-field">
                    <label for="vp-rights-kind">{ t.rights_kind }</label>
                    <select id="vp-rights-kind" data-vp="rights-kind" onchange={onkind}>
                        { for RightsRequestKind::ALL.iter().map(|k| html! {
                            <option value={k.as_str()} selected={*k == *kind}>{ k.label(language) }</option>
                        }) }
                    </select>
                </div>
                if identity.is_none() {
                    <div class="vp-field">
                        <label for="vp-rights-email">{ t.rights_email }</label>
                        <input id="vp-rights-email" type="email" autocomplete="email" data-vp="rights-email"
                            value={(*email).clone()} oninput={bind(&email)}
                            aria-invalid={error_for("email").is_some().to_string()}
                            aria-describedby={described("email")} />
                        { field_error("email") }
                    </div>
                } else {
                    <p class="vp-meta">{ t.rights_signed_in }</p>
                }
                <div class="vp-field">
                    <label for="vp-rights-name">{ t.rights_name }</label>
                    <input id="vp-rights-name" type="text" autocomplete="name" data-vp="rights-name"
                        value={(*name).clone()} oninput={bind(&name)}
                        aria-invalid={error_for("name").is_some().to_string()} aria-describedby={described("name")} />
                    { field_error("name") }
                </div>
                <div class="vp-field">
                    <label for="vp-rights-details">{ t.rights_details }</label>
                    <textarea id="vp-rights-details" rows="4" data-vp="rights-details"
                        value={(*details).clone()} oninput={bind(&details)}
                        aria-invalid={error_for("details").is_some().to_string()} aria-describedby={described("details")} />
                    { field_error("details") }
                </div>
                { failure_html }
                <button type="submit" class="vp-button" data-vp="rights-submit" disabled={*busy}>{ t.rights_submit }</button>
            </form>
        },
        Step::Verify(created) => html! {
            <form onsubmit={onverify} novalidate=true data-vp="rights-verify">
                <p role="status">{ t.rights_code_sent.replace("{number}", &created.id.to_string()) }</p>
                <div class="vp-field">
                    <label for="vp-rights-code">{ t.rights_code }</label>
                    <input id="vp-rights-code" type="text" inputmode="numeric" autocomplete="one-time-code"
                        maxlength="6" data-vp="rights-code" value={(*code).clone()} oninput={bind(&code)}
                        aria-invalid={error_for("code").is_some().to_string()} aria-describedby={described("code")} />
                    { field_error("code") }
                </div>
                { failure_html }
                <button type="submit" class="vp-button" data-vp="rights-confirm" disabled={*busy}>{ t.rights_confirm }</button>
            </form>
        },
        Step::Done(created, view) => html! {
            <>
            <div data-vp="rights-done" role="status">
                <p>{ t.rights_received }</p>
                <dl class="vp-facts">
                    <dt>{ t.rights_number }</dt><dd data-vp="rights-number">{ created.id.to_string() }</dd>
                    <dt>{ t.rights_due }</dt><dd data-vp="rights-due">{ view.due_date.to_string() }</dd>
                    <dt>{ t.rights_status }</dt><dd data-vp="rights-status">{ view.status.label(language) }</dd>
                </dl>
                <p class="vp-meta">{ t.rights_keep_number }</p>
            </div>
            </>
        },
    };
    html! {
        <section class="vp-rights-center" data-vp="rights" aria-labelledby="vp-rights-title" lang={language.as_str()}>
            <h2 id="vp-rights-title" class="vp-title">{ t.rights_center_title }</h2>
            <p>{ t.rights_center_intro }</p>
            if linked.is_some() {
                <RequestHistory api_base={props.api_base.clone()} {language} generation={generation} linked={*linked} />
                { body }
            } else {
                { body }
                <RequestHistory api_base={props.api_base.clone()} {language} generation={generation} linked={None} />
            }
        </section>
    }
}

/// The requests filed in this tab or opened from an e-mailed status link, with the status tokens
/// that read them, newest first. They live in `sessionStorage`: a status token unlocks the answer,
/// so it leaves with the tab instead of staying in the host site's `localStorage` for ever; the
/// e-mailed link opens the request again.
mod saved {
    use serde::{Deserialize, Serialize};
    use uuid::Uuid;

    const KEY: &str = "vp_requests";
    const KEEP: usize = 20;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Saved {
        pub id: Uuid,
        pub token: String,
    }

    fn storage() -> Option<web_sys::Storage> {
        web_sys::window()?.session_storage().ok()?
    }

    /// Earlier versions kept the tokens in `localStorage`: they move to this tab once and are
    /// gone from there.
    fn take_legacy() -> Vec<Saved> {
        let Some(local) = web_sys::window().and_then(|w| w.local_storage().ok().flatten()) else {
            return Vec::new();
        };
        let found = local
            .get_item(KEY)
            .ok()
            .flatten()
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        let _ = local.remove_item(KEY);
        found
    }

    pub fn load() -> Vec<Saved> {
        let mut all: Vec<Saved> = storage()
            .and_then(|s| s.get_item(KEY).ok().flatten())
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default();
        let legacy = take_legacy();
        if !legacy.is_empty() {
            for old in legacy {
                if !all.iter().any(|s| s.id == old.id) {
                    all.push(old);
                }
            }
            all.truncate(KEEP);
            save(&all);
        }
        all
    }

    /// Forgets a request the server no longer knows (deleted after its retention period): its
    /// status token opens nothing any more and is not kept.
    pub fn forget(id: Uuid) {
        let mut all = load();
        all.retain(|s| s.id != id);
        save(&all);
    }

    fn save(all: &[Saved]) {
        if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(all)) {
            let _ = storage.set_item(KEY, &json);
        }
    }

    pub fn add(id: Uuid, token: &str) {
        let mut all = load();
        all.retain(|s| s.id != id);
        all.insert(
            0,
            Saved {
                id,
                token: token.to_owned(),
            },
        );
        all.truncate(KEEP);
        save(&all);
    }

    /// Takes an e-mailed status link from the page's address: keeps its request for this tab and
    /// removes the token from the address bar and the history. The request's id, if there was one.
    pub fn take_link() -> Option<Uuid> {
        let window = web_sys::window()?;
        let location = window.location();
        let link = privacy_shared::rights::StatusLink::parse(&location.hash().ok()?)?;
        add(link.id, &link.token);
        let without = format!(
            "{}{}",
            location.pathname().unwrap_or_default(),
            location.search().unwrap_or_default()
        );
        if let Ok(history) = window.history() {
            let _ =
                history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&without));
        }
        Some(link.id)
    }
}

/// A downloadable file: its name and an object URL holding its content.
#[derive(Debug, Clone, PartialEq)]
struct Download {
    name: String,
    url: String,
}

/// The answer's files as object URLs the browser downloads from.
async fn download_answer(
    client: &ApiClient,
    saved: &saved::Saved,
) -> Result<Vec<Download>, ApiError> {
    use base64::Engine as _;
    let answer = client.request_answer(saved.id, &saved.token).await?;
    let mut downloads = Vec::new();
    for file in answer.files {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(&file.content_base64)
        else {
            continue;
        };
        if let Some(url) = browser::object_url(&bytes) {
            downloads.push(Download {
                name: file.name,
                url,
            });
        }
    }
    Ok(downloads)
}

#[derive(Properties, PartialEq)]
struct HistoryProps {
    api_base: String,
    language: Language,
    /// Changes when a request was filed, so the list reloads.
    generation: u32,
    /// The request an e-mailed status link opened, marked `data-vp-linked`.
    linked: Option<uuid::Uuid>,
}

/// The status pages of the requests filed from this browser: status, due date, answer or the
/// reasons of a refusal with the way to complain.
#[component]
fn RequestHistory(props: &HistoryProps) -> Html {
    let t = view_texts(props.language);
    let language = props.language;
    let views = use_state(Vec::<(saved::Saved, RequestView)>::new);
    // Per request: its files once fetched, or why they could not be.
    let files =
        use_state(std::collections::HashMap::<uuid::Uuid, Result<Vec<Download>, String>>::new);
    {
        let views = views.clone();
        let base = props.api_base.clone();
        use_effect_with(props.generation, move |_| {
            wasm_bindgen_futures::spawn_local(async move {
                let client = ApiClient::new(base);
                let mut found = Vec::new();
                for saved in saved::load() {
                    match client.request_status(saved.id, &saved.token).await {
                        Ok(view) => found.push((saved, view)),
                        Err(ApiError::Problem(problem)) if problem.status == 404 => {
                            saved::forget(saved.id);
                        }
                        // Offline or a server error: kept, and shown on the next visit.
                        Err(_) => {}
                    }
                }
                views.set(found);
            });
        });
    }
    let fetch_files = |saved: &saved::Saved| {
        let (files, saved, base) = (files.clone(), saved.clone(), props.api_base.clone());
        Callback::from(move |_: MouseEvent| {
            let (files, saved, base) = (files.clone(), saved.clone(), base.clone());
            wasm_bindgen_futures::spawn_local(async move {
                let result = download_answer(&ApiClient::new(base), &saved)
                    .await
                    .map_err(|e| explain(&e, language));
                let mut next = (*files).clone();
                next.insert(saved.id, result);
                files.set(next);
            });
        })
    };
    if views.is_empty() {
        return html! {};
    }
    html! {
        <section class="vp-history" data-vp="rights-history" aria-labelledby="vp-rights-history-title">
            <h3 id="vp-rights-history-title">{ t.rights_history }</h3>
            <ul>
                { for views.iter().map(|(saved, view)| html! {
                    <li data-vp-request={view.id.to_string()} data-vp-linked={(props.linked == Some(view.id)).then_some("true")}>
                        <p><strong>{ view.kind.label(language) }</strong></p>
                        <dl class="vp-facts">
                            <dt>{ t.rights_number }</dt><dd>{ view.id.to_string() }</dd>
                            <dt>{ t.rights_status }</dt><dd data-vp="history-status">{ view.status.label(language) }</dd>
                            <dt>{ t.rights_due }</dt><dd>{ view.due_date.to_string() }</dd>
                        </dl>
                        if let Some(answer) = &view.answer {
                            <p data-vp="history-answer">{ answer.clone() }</p>
                        }
                        if !view.attachments.is_empty() {
                            {
                                match files.get(&view.id) {
                                    None => html! {
                                        <button type="button" class="vp-link" data-vp="history-files"
                                            onclick={fetch_files(saved)}>
                                            { t.rights_files.replace("{count}", &view.attachments.len().to_string()) }
                                        </button>
                                    },
                                    Some(Ok(downloads)) => html! {
                                        <ul class="vp-files" data-vp="history-downloads">
                                            { for downloads.iter().map(|d| html! {
                                                <li><a href={d.url.clone()} download={d.name.clone()}>{ d.name.clone() }</a></li>
                                            }) }
                                        </ul>
                                    },
                                    Some(Err(message)) => html! { <p class="vp-error" role="alert">{ message.clone() }</p> },
                                }
                            }
                        }
                        if let Some(reasons) = &view.refusal_reasons {
                            <p>{ reasons.clone() }</p>
                        }
                        if view.complaint_authority.is_some() {
                            <p>
                                { t.complaint }
                                <a href={privacy_shared::rights::COMPLAINT_AUTHORITY_URL} rel="noopener" target="_blank">
                                    { privacy_shared::rights::COMPLAINT_AUTHORITY_NAME }
                                </a>
                                { "." }
                            </p>
                        }
                    </li>
                }) }
            </ul>
        </section>
    }
}

/// Tells the host page a request was filed and confirmed (`virtio-privacy:request`, with its id,
/// kind, status and due date), so a page listing the customer's requests can show it.
fn announce(view: &RequestView) {
    let detail = js_sys::Object::new();
    for (key, value) in [
        ("id", view.id.to_string()),
        ("kind", view.kind.as_str().to_owned()),
        ("status", view.status.as_str().to_owned()),
        ("due_date", view.due_date.to_string()),
    ] {
        let _ = js_sys::Reflect::set(&detail, &key.into(), &value.into());
    }
    crate::enforce::emit("request", &detail);
}
