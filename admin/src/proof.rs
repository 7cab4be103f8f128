//! Proof: verifying the consent ledger's hash chain on request, the staff audit log (its own
//! chain checked by the server) with a search, and the e-mail outbox with what is still queued.

use privacy_shared::api::endpoints;
use privacy_shared::wire::LedgerVerification;
use yew::prelude::*;

use crate::inbox::short_number;
use crate::ui::{Load, bind, href, local_time, pending, use_ctx, use_load};

#[component]
pub fn Proof() -> Html {
    let ctx = use_ctx();
    let t = ctx.t();
    let language = ctx.language;
    let verification = use_state(|| None::<Load<LedgerVerification>>);
    let search = use_state(String::new);
    let (audit, reload_audit) = use_load((), {
        let ctx = ctx.clone();
        move |()| {
            let ctx = ctx.clone();
            async move { ctx.call::<endpoints::AdminAudit>(&[], None).await }
        }
    });
    let (outbox, reload_outbox) = use_load((), {
        let ctx = ctx.clone();
        move |()| {
            let ctx = ctx.clone();
            async move { ctx.call::<endpoints::AdminOutbox>(&[], None).await }
        }
    });

    let verify = {
        let (verification, ctx) = (verification.clone(), ctx.clone());
        let reload_audit = reload_audit.clone();
        Callback::from(move |_| {
            let (verification, ctx, reload_audit) =
                (verification.clone(), ctx.clone(), reload_audit.clone());
            verification.set(Some(Load::Loading));
            wasm_bindgen_futures::spawn_local(async move {
                let result = ctx.call::<endpoints::AdminLedgerVerify>(&[], None).await;
                verification.set(Some(match result {
                    Ok(v) => Load::Ready(v),
                    Err(e) => Load::Failed(e),
                }));
                // The verification itself is audited.
                reload_audit.emit(());
            });
        })
    };
    let verification_text = match &*verification {
        None => html! {},
        Some(Load::Ready(v)) => match &v.first_broken {
            None => html! {
                <p class="ok" role="status" data-admin="ledger-result">{ format!("{} {}", t.ledger_intact, v.events) }</p>
            },
            Some(broken) => html! {
                <p class="problem" role="alert" data-admin="ledger-result">
                    { format!("{} {} ({}): {}", t.ledger_broken, broken.seq, broken.event_id, broken.reason) }
                </p>
            },
        },
        Some(other) => pending(other, t, &Callback::noop()),
    };

    let audit_view = match &audit {
        Load::Ready(log) => {
            let needle = search.trim().to_lowercase();
            let rows = log.entries.iter().filter(|e| {
                needle.is_empty()
                    || e.actor.as_ref().to_lowercase().contains(&needle)
                    || e.action.to_lowercase().contains(&needle)
                    || e.request.is_some_and(|r| r.to_string().contains(&needle))
            });
            html! {
                <>
                    if let Some(at) = log.first_broken {
                        <p class="problem" role="alert" data-admin="audit-result">{ format!("{} {at}", t.audit_broken) }</p>
                    } else {
                        <p class="ok" data-admin="audit-result">{ t.audit_intact }</p>
                    }
                    <div class="table" role="region" aria-label={t.audit_title} tabindex="0">
                        <table data-admin="audit">
                            <thead><tr>
                                <th scope="col">{ t.at }</th>
                                <th scope="col">{ t.actor }</th>
                                <th scope="col">{ t.action }</th>
                                <th scope="col">{ t.request }</th>
                            </tr></thead>
                            <tbody>
                                { for rows.map(|e| html! {
                                    <tr>
                                        <td>{ local_time(e.at, language) }</td>
                                        <td>{ e.actor.as_ref() }</td>
                                        <td>{ &e.action }</td>
                                        <td>{ e.request.map_or_else(|| html! { { t.none } }, |id| html! {
                                            <a class="number" href={href(&format!("requests/{id}"))}>{ short_number(&id) }</a>
                                        }) }</td>
                                    </tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                </>
            }
        }
        other => pending(other, t, &reload_audit),
    };

    let outbox_view = match &outbox {
        Load::Ready(messages) => html! {
            <div class="table" role="region" aria-label={t.outbox_title} tabindex="0">
                <table data-admin="outbox">
                    <thead><tr>
                        <th scope="col">{ t.queued }</th>
                        <th scope="col">{ t.to }</th>
                        <th scope="col">{ t.subject }</th>
                        <th scope="col">{ t.sent }</th>
                        <th scope="col">{ t.attempts }</th>
                    </tr></thead>
                    <tbody>
                        { for messages.iter().map(|m| html! {
                            <tr class={(!m.sent).then_some("soon")}>
                                <td>{ local_time(m.queued_at, language) }</td>
                                <td>{ m.to.as_ref() }</td>
                                <td>{ &m.subject }</td>
                                <td>{ if m.sent { t.yes } else { t.no } }</td>
                                <td>{ m.attempts }</td>
                            </tr>
                        }) }
                    </tbody>
                </table>
            </div>
        },
        other => pending(other, t, &reload_outbox),
    };

    html! {
        <main>
            <h1 tabindex="-1">{ t.proof_title }</h1>
            <button type="button" data-admin="verify-ledger" onclick={verify}>{ t.verify_ledger }</button>
            { verification_text }
            <h2>{ t.audit_title }</h2>
            <label for="audit-search">{ t.audit_search }</label>
            <input id="audit-search" type="search" data-admin="audit-search"
                value={(*search).clone()} oninput={bind(&search)} />
            { audit_view }
            <h2>{ t.outbox_title }</h2>
            { outbox_view }
        </main>
    }
}
