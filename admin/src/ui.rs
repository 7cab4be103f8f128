//! What every screen of the console uses: the context (language, session), calls to the admin
//! API that notice an ended session, loading state, form helpers and how times are shown.

use privacy_shared::Language;
use privacy_shared::api::{ApiClient, ApiError, Credentials, Endpoint};
use privacy_shared::wire::{AdminSession, StaffRole};
use std::future::Future;
use std::rc::Rc;
use time::OffsetDateTime;
use yew::prelude::*;

use crate::i18n::{Texts, explain, texts};

/// What every screen knows: the language, who is signed in, and how to say the session ended.
#[derive(Clone, PartialEq)]
pub struct Ctx {
    pub language: Language,
    pub session: Rc<AdminSession>,
    pub signed_out: Callback<()>,
}

impl Ctx {
    pub fn t(&self) -> &'static Texts {
        texts(self.language)
    }

    /// Officers act; viewers only read, and see no buttons that change anything.
    pub fn can_act(&self) -> bool {
        self.session.role == StaffRole::Officer
    }

    /// Calls `E` on this origin (the session cookie goes along); a 401 ends the session in the
    /// console too, and any failure comes back as text in the officer's language.
    pub async fn call<E: Endpoint>(
        &self,
        params: &[(&str, &str)],
        body: Option<&E::Request>,
    ) -> Result<E::Response, String> {
        self.send::<E>(params, &[], body).await
    }

    /// [`Self::call`] for a `GET` with query parameters.
    pub async fn query<E: Endpoint>(
        &self,
        params: &[(&str, &str)],
        query: &[(&str, &str)],
    ) -> Result<E::Response, String> {
        self.send::<E>(params, query, None).await
    }

    async fn send<E: Endpoint>(
        &self,
        params: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Option<&E::Request>,
    ) -> Result<E::Response, String> {
        match client()
            .call::<E>(params, query, body, Credentials::None)
            .await
        {
            Ok((_, response)) => Ok(response),
            Err(ApiError::Problem(p)) if p.status == 401 => {
                self.signed_out.emit(());
                Err(self.t().signed_out.to_owned())
            }
            Err(e) => Err(explain(&e, self.language)),
        }
    }
}

#[hook]
pub fn use_ctx() -> Ctx {
    use_context::<Ctx>().expect("every screen is inside the console's context")
}

/// The admin API of the server that served the console.
pub fn client() -> ApiClient {
    let origin = web_sys::window()
        .and_then(|w| w.location().origin().ok())
        .unwrap_or_default();
    ApiClient::new(origin)
}

/// A value loaded from the API.
#[derive(Clone, PartialEq)]
pub enum Load<T> {
    Loading,
    Ready(T),
    Failed(String),
}

/// Loads with `fetch` when the component mounts and whenever `deps` change; the returned
/// callback loads again.
#[hook]
pub fn use_load<T, D, F, Fut>(deps: D, fetch: F) -> (Load<T>, Callback<()>)
where
    T: Clone + PartialEq + 'static,
    D: PartialEq + Clone + 'static,
    F: Fn(D) -> Fut + 'static,
    Fut: Future<Output = Result<T, String>> + 'static,
{
    let state = use_state(|| Load::Loading);
    let generation = use_state(|| 0_u32);
    let fetch = Rc::new(fetch);
    {
        let state = state.clone();
        use_effect_with((deps, *generation), move |(deps, _)| {
            let deps = deps.clone();
            state.set(Load::Loading);
            wasm_bindgen_futures::spawn_local(async move {
                state.set(match fetch(deps).await {
                    Ok(value) => Load::Ready(value),
                    Err(message) => Load::Failed(message),
                });
            });
        });
    }
    let reload = {
        let generation = generation.clone();
        Callback::from(move |()| generation.set(*generation + 1))
    };
    ((*state).clone(), reload)
}

/// The loading text, or a failure with a retry button.
pub fn pending<T>(load: &Load<T>, t: &Texts, retry: &Callback<()>) -> Html {
    match load {
        Load::Loading => html! { <p role="status">{ t.loading }</p> },
        Load::Failed(message) => {
            let retry = retry.clone();
            html! {
                <div class="problem" role="alert">
                    <p>{ message }</p>
                    <button type="button" onclick={move |_| retry.emit(())}>{ t.retry }</button>
                </div>
            }
        }
        Load::Ready(_) => html! {},
    }
}

/// The value of the input, textarea or select an event came from.
pub fn event_value(event: &Event) -> String {
    use wasm_bindgen::JsCast as _;
    let Some(target) = event.target() else {
        return String::new();
    };
    if let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        input.value()
    } else if let Some(area) = target.dyn_ref::<web_sys::HtmlTextAreaElement>() {
        area.value()
    } else if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.value()
    } else {
        String::new()
    }
}

/// A callback that keeps a text state in step with its field.
pub fn bind(state: &UseStateHandle<String>) -> Callback<InputEvent> {
    let state = state.clone();
    Callback::from(move |e: InputEvent| state.set(event_value(&e)))
}

/// A moment in the officer's local time, such as "29-11-2026 20:46".
pub fn local_time(at: OffsetDateTime, language: Language) -> String {
    let millis = (at.unix_timestamp_nanos() / 1_000_000) as f64;
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(millis));
    let options = js_sys::Object::new();
    for (key, value) in [("dateStyle", "medium"), ("timeStyle", "short")] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    date.to_locale_string(locale(language), &options).into()
}

/// A calendar date, such as "2026-12-29" (the form the e-mails and the requester's page use).
pub fn date(day: time::Date) -> String {
    day.to_string()
}

pub fn locale(language: Language) -> &'static str {
    match language {
        Language::Nl => "nl-NL",
        Language::En => "en-GB",
    }
}

/// The address of a screen of the console.
pub fn href(route: &str) -> String {
    format!("#/{route}")
}

/// Moves the keyboard focus to the first element matching `selector`, if there is one.
pub fn focus(selector: &str) {
    use wasm_bindgen::JsCast as _;
    let found = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.query_selector(selector).ok().flatten());
    if let Some(element) = found
        .as_ref()
        .and_then(|e| e.dyn_ref::<web_sys::HtmlElement>())
    {
        let _ = element.focus();
    }
}
