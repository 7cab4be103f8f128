//! The admin console for the privacy officer and support staff. So far it is a placeholder page
//! that the build pipeline compiles, hashes and serves at `/admin/`; the request inbox, consent
//! statistics, ledger verification and audit log follow the server's admin API.
//!
//! Architecture invariant: the admin console talks to the server only through its HTTP API and is
//! never loaded on visitor pages.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::prelude::*;
use yew::prelude::*;

#[component]
fn Placeholder() -> Html {
    html! {
        <main>
            <h1>{ "Virtio Privacy — admin console" }</h1>
            <p data-admin="placeholder">
                { "The admin console is not built yet: the request inbox, consent statistics, \
                   ledger verification and audit log arrive with the server's admin API." }
            </p>
        </main>
    }
}

/// Renders the console into the element with id `admin`.
#[wasm_bindgen]
pub fn start() -> Result<(), JsError> {
    let root = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.get_element_by_id("admin"))
        .ok_or_else(|| JsError::new("the page has no element with id `admin`"))?;
    yew::Renderer::<Placeholder>::with_root(root).render();
    Ok(())
}
