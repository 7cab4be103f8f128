//! Signing in: e-mail address, password and the TOTP code, in the fields password managers and
//! authenticator apps recognise (PRODUCT.md §6.4). At a first sign-in, without a code, the
//! account's TOTP secret is shown as a QR code to scan, until a code of it has been accepted.

use privacy_shared::ProblemKind;
use privacy_shared::api::ApiError;
use privacy_shared::api::{Credentials, endpoints};
use privacy_shared::wire::{AdminEnrollmentRequest, AdminLogin, AdminSession, TotpEnrollment};
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
    let enrollment = use_state(|| None::<TotpEnrollment>);
    // The section that appears takes the focus, so a screen reader reads it and the keyboard
    // continues from it to the code field.
    use_effect_with(enrollment.is_some(), |shown| {
        if *shown {
            crate::ui::focus("#admin-enroll-heading");
        }
    });

    let onsubmit = {
        let (email, password, code) = (email.clone(), password.clone(), code.clone());
        let (failure, busy, enrollment) = (failure.clone(), busy.clone(), enrollment.clone());
        let onsignedin = props.onsignedin.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let Ok(address) = EmailAddress::parse(email.trim()) else {
                failure.set(Some(format!("{}: {}", t.email, t.field_required)));
                return;
            };
            if password.is_empty() {
                failure.set(Some(t.field_required.to_owned()));
                return;
            }
            if code.trim().is_empty() {
                // A first sign-in: the account's secret to scan, or why there is none.
                let body = AdminEnrollmentRequest {
                    email: address,
                    password: (*password).clone(),
                };
                let (failure, busy, enrollment) =
                    (failure.clone(), busy.clone(), enrollment.clone());
                busy.set(true);
                wasm_bindgen_futures::spawn_local(async move {
                    match client()
                        .call::<endpoints::AdminEnrollment>(
                            &[],
                            &[],
                            Some(&body),
                            Credentials::None,
                        )
                        .await
                    {
                        Ok((_, shown)) => {
                            failure.set(None);
                            enrollment.set(Some(shown));
                        }
                        Err(ApiError::Problem(p)) if p.kind() == Some(ProblemKind::Conflict) => {
                            failure.set(Some(t.enroll_done.to_owned()));
                        }
                        Err(e) => failure.set(Some(explain(&e, language))),
                    }
                    busy.set(false);
                });
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
                if let Some(shown) = &*enrollment {
                    { enroll_section(shown, t) }
                }
                <label for="admin-code">{ t.code }</label>
                <input id="admin-code" name="totp" type="text" inputmode="numeric"
                    autocomplete="one-time-code" pattern="[0-9]{6}" maxlength="6"
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

/// The enrollment: the QR code, drawn as one SVG path of its dark modules on a light quiet zone,
/// the key to type instead, and what to do next.
fn enroll_section(shown: &TotpEnrollment, t: &crate::i18n::Texts) -> Html {
    let size = shown.qr_size as usize;
    let quiet = 4;
    let mut path = String::new();
    for (index, module) in shown.qr_modules.chars().enumerate() {
        if module == '1' && size > 0 {
            let (x, y) = (index % size + quiet, index / size + quiet);
            path.push_str(&format!("M{x} {y}h1v1h-1z"));
        }
    }
    let side = (size + 2 * quiet).to_string();
    html! {
        <section class="enroll" aria-labelledby="admin-enroll-heading" data-admin="enrollment">
            <h2 id="admin-enroll-heading" tabindex="-1">{ t.enroll_heading }</h2>
            <p>{ t.enroll_scan }</p>
            <svg role="img" aria-label={t.enroll_qr_label} data-admin="enrollment-qr"
                viewBox={format!("0 0 {side} {side}")} shape-rendering="crispEdges">
                <rect width={side.clone()} height={side} fill="#fff" />
                <path d={path} fill="#000" />
            </svg>
            <p>{ t.enroll_key }</p>
            <p><code class="secret" data-admin="enrollment-secret">{ &shown.secret }</code></p>
            <p>{ t.enroll_then }</p>
        </section>
    }
}
