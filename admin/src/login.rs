//! Signing in: e-mail address, password and the TOTP code, in the fields password managers and
//! authenticator apps recognise (PRODUCT.md §6.4).

use privacy_shared::api::{Credentials, endpoints};
use privacy_shared::wire::{AdminLogin, AdminSession};
use privacy_shared::{EmailAddress, Language};
use yew::prelude::*;

use crate::i18n::{explain, texts};
use crate::ui::{bind, client};

#[derive(Properties, PartialEq)]
pub struct LoginProps {
    pub language: Language,
    /// Why the officer is asked to sign in again, if the session ended by itself.
    pub notice: Option<&'static str>,
    pub onsignedin: Callback<AdminSession>,
}

#[component]
pub fn Login(props: &LoginProps) -> Html {
    let language = props.language;
    let t = texts(language);
    let email = use_state(String::new);
    let password = use_state(String::new);
    let code = use_state(String::new);
    let failure = use_state(|| None::<String>);
    let busy = use_state(|| false);

    let onsubmit = {
        let (email, password, code) = (email.clone(), password.clone(), code.clone());
        let (failure, busy) = (failure.clone(), busy.clone());
        let onsignedin = props.onsignedin.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(address) = EmailAddress::parse(email.trim()) else {
                failure.set(Some(format!("{}: {}", t.email, t.field_required)));
                return;
            };
            if password.is_empty() || code.trim().is_empty() {
                failure.set(Some(t.field_required.to_owned()));
                return;
            }
            let body = AdminLogin {
                email: address,
                password: (*password).clone(),
                totp: code.trim().to_owned(),
            };
            let (failure, busy, onsignedin) = (failure.clone(), busy.clone(), onsignedin.clone());
            let code = code.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                match client()
                    .call::<endpoints::AdminLogin>(&[], &[], Some(&body), Credentials::None)
                    .await
                {
                    Ok((_, who)) => onsignedin.emit(who),
                    Err(e) => {
                        // A code works once: the next attempt needs the next one.
                        code.set(String::new());
                        failure.set(Some(explain(&e, language)));
                    }
                }
                busy.set(false);
            });
        })
    };

    html! {
        <main class="login">
            <h1 tabindex="-1">{ t.sign_in }</h1>
            if let Some(notice) = props.notice {
                <p class="notice" role="status" data-admin="notice">{ notice }</p>
            }
            <p>{ t.sign_in_intro }</p>
            <form {onsubmit} data-admin="login" novalidate=true>
                <label for="admin-email">{ t.email }</label>
                <input id="admin-email" name="email" type="email" autocomplete="username"
                    required=true value={(*email).clone()} oninput={bind(&email)} />
                <label for="admin-password">{ t.password }</label>
                <input id="admin-password" name="password" type="password"
                    autocomplete="current-password" required=true
                    value={(*password).clone()} oninput={bind(&password)} />
                <label for="admin-code">{ t.code }</label>
                <input id="admin-code" name="totp" type="text" inputmode="numeric"
                    autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6" required=true
                    aria-describedby="admin-code-hint"
                    value={(*code).clone()} oninput={bind(&code)} />
                <p id="admin-code-hint" class="hint">{ t.code_hint }</p>
                if let Some(message) = &*failure {
                    <p class="problem" role="alert" data-admin="login-error">{ message }</p>
                }
                <button type="submit" disabled={*busy}>{ t.sign_in }</button>
            </form>
        </main>
    }
}
