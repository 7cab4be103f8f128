//! The admin console for the privacy officer and support staff (PRODUCT.md §6.4): login with
//! password and TOTP, the request inbox and each request's actions, consent statistics as charts,
//! ledger and audit-log verification and the e-mail outbox, in Dutch and English.
//!
//! The screens follow the address's fragment (`#/`, `#/requests/{id}`, `#/stats`, `#/proof`), so
//! the browser's back button and bookmarks work. The session is an HttpOnly cookie the console
//! never sees; `GET /api/v1/admin/session` tells whether it is still valid.
//!
//! Architecture invariant: the admin console talks to the server only through its HTTP API and is
//! never loaded on visitor pages.
#![cfg(target_arch = "wasm32")]

mod detail;
mod i18n;
mod inbox;
mod login;
mod proof;
mod stats;
mod ui;

use privacy_shared::Language;
use privacy_shared::api::{Credentials, endpoints};
use privacy_shared::wire::{AdminSession, StaffRole};
use std::rc::Rc;
use uuid::Uuid;
use wasm_bindgen::prelude::*;
use yew::prelude::*;

use crate::i18n::texts;
use crate::ui::{Ctx, href, local_time};

/// Where the officer is.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Route {
    Inbox,
    Request(Uuid),
    Stats,
    Proof,
}

impl Route {
    fn from_hash(hash: &str) -> Self {
        let path = hash.trim_start_matches('#').trim_start_matches('/');
        match path.split('/').collect::<Vec<_>>().as_slice() {
            ["requests", id] => Uuid::try_parse(id).map_or(Self::Inbox, Self::Request),
            ["stats"] => Self::Stats,
            ["proof"] => Self::Proof,
            _ => Self::Inbox,
        }
    }

    fn current() -> Self {
        let hash = web_sys::window()
            .and_then(|w| w.location().hash().ok())
            .unwrap_or_default();
        Self::from_hash(&hash)
    }
}

#[derive(Clone, PartialEq)]
enum Session {
    Checking,
    /// Signed out, with why when the session ended by itself.
    SignedOut(Option<&'static str>),
    SignedIn(Rc<AdminSession>),
}

const LANGUAGE_KEY: &str = "vp_admin_language";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window().and_then(|w| w.local_storage().ok().flatten())
}

/// The language chosen before on this browser, else Dutch, the language of the company and of
/// its binding policy text.
fn initial_language() -> Language {
    match storage().and_then(|s| s.get_item(LANGUAGE_KEY).ok().flatten()) {
        Some(tag) if tag == Language::En.as_str() => Language::En,
        _ => Language::Nl,
    }
}

#[component]
fn App() -> Html {
    let language = use_state(initial_language);
    let session = use_state(|| Session::Checking);
    let route = use_state(Route::current);
    let t = texts(*language);

    {
        let session = session.clone();
        use_effect_with((), move |()| {
            wasm_bindgen_futures::spawn_local(async move {
                let who = ui::client()
                    .call::<endpoints::AdminWhoAmI>(&[], &[], None, Credentials::None)
                    .await;
                session.set(match who {
                    Ok((_, who)) => Session::SignedIn(Rc::new(who)),
                    Err(_) => Session::SignedOut(None),
                });
            });
        });
    }
    {
        let route = route.clone();
        use_effect_with((), move |()| {
            let window = web_sys::window().expect("a window");
            let listener = gloo_events::EventListener::new(&window, "hashchange", move |_| {
                route.set(Route::current());
            });
            move || drop(listener)
        });
    }
    // The page's language and title follow the console's; a new screen (another route, or signing
    // in and out) takes the focus to its heading, so a screen reader announces it and the keyboard
    // starts there.
    let phase = match &*session {
        Session::Checking => 0,
        Session::SignedOut(_) => 1,
        Session::SignedIn(_) => 2,
    };
    use_effect_with((*language, *route, phase), move |(language, _, _)| {
        if let Some(document) = web_sys::window().and_then(|w| w.document()) {
            if let Some(root) = document.document_element() {
                let _ = root.set_attribute("lang", language.as_str());
            }
            document.set_title(texts(*language).title);
        }
        crate::ui::focus("main h1");
    });

    let switch_language = {
        let language = language.clone();
        Callback::from(move |_| {
            let next = match *language {
                Language::Nl => Language::En,
                Language::En => Language::Nl,
            };
            if let Some(storage) = storage() {
                let _ = storage.set_item(LANGUAGE_KEY, next.as_str());
            }
            language.set(next);
        })
    };
    let language_button = html! {
        <button type="button" class="language" data-admin="language"
            lang={match *language { Language::Nl => "en", Language::En => "nl" }}
            aria-label={t.other_language_name} onclick={switch_language}>
            { t.other_language }
        </button>
    };

    let current = (*session).clone();
    match current {
        Session::Checking => html! {
            <main><h1 tabindex="-1">{ t.title }</h1><p role="status">{ t.loading }</p></main>
        },
        Session::SignedOut(why) => {
            let onsignedin = {
                let session = session.clone();
                Callback::from(move |who: AdminSession| {
                    session.set(Session::SignedIn(Rc::new(who)))
                })
            };
            html! {
                <>
                    <header class="bar">
                        <p class="brand">{ t.title }</p>
                        { language_button }
                    </header>
                    <login::Login language={*language} notice={why} {onsignedin} />
                </>
            }
        }
        Session::SignedIn(who) => {
            let signed_out = {
                let session = session.clone();
                Callback::from(move |()| session.set(Session::SignedOut(Some(t.signed_out))))
            };
            let ctx = Ctx {
                language: *language,
                session: who.clone(),
                signed_out,
            };
            let logout = {
                let session = session.clone();
                Callback::from(move |_| {
                    let session = session.clone();
                    wasm_bindgen_futures::spawn_local(async move {
                        // Signed out in the console whatever the server says: a session the
                        // server no longer knows is ended too.
                        let _ = ui::client()
                            .call::<endpoints::AdminLogout>(&[], &[], None, Credentials::None)
                            .await;
                        session.set(Session::SignedOut(None));
                    });
                })
            };
            let role = match who.role {
                StaffRole::Officer => t.role_officer,
                StaffRole::Viewer => t.role_viewer,
            };
            let link = |target: Route, route_name: &str, label: &'static str| {
                let here = match (*route, target) {
                    (Route::Request(_), Route::Inbox) => true,
                    (a, b) => a == b,
                };
                html! {
                    <a href={href(route_name)} aria-current={here.then_some("page")}>{ label }</a>
                }
            };
            let screen = match *route {
                Route::Inbox => html! { <inbox::Inbox /> },
                Route::Request(id) => html! { <detail::Detail {id} /> },
                Route::Stats => html! { <stats::Stats /> },
                Route::Proof => html! { <proof::Proof /> },
            };
            html! {
                <ContextProvider<Ctx> context={ctx}>
                    <header class="bar">
                        <p class="brand">{ t.title }</p>
                        <nav aria-label={t.nav_label}>
                            { link(Route::Inbox, "", t.nav_inbox) }
                            { link(Route::Stats, "stats", t.nav_stats) }
                            { link(Route::Proof, "proof", t.nav_proof) }
                        </nav>
                        <p class="who" data-admin="who">
                            { t.signed_in_as } { " " } <strong>{ who.email.as_ref() }</strong>
                            { format!(" ({role}) · {} {}", t.session_until, local_time(who.expires_at, *language)) }
                        </p>
                        <button type="button" data-admin="logout" onclick={logout}>{ t.sign_out }</button>
                        { language_button }
                    </header>
                    { screen }
                </ContextProvider<Ctx>>
            }
        }
    }
}

/// Renders the console into the element with id `admin`.
#[wasm_bindgen]
pub fn start() -> Result<(), JsError> {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("admin"))
        .ok_or_else(|| JsError::new("the page has no element with id `admin`"))?;
    yew::Renderer::<App>::with_root(root).render();
    Ok(())
}
