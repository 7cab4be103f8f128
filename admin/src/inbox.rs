//! The request inbox: open requests first, fewest days left first (the server's order), overdue
//! and due-this-week marked; filters by status and kind, search by request number or e-mail.

use privacy_shared::api::endpoints;
use privacy_shared::rights::{RequestStatus, RightsRequestKind};
use privacy_shared::wire::RequestSummary;
use yew::prelude::*;

use crate::i18n::Texts;
use crate::ui::{Load, date, event_value, href, local_time, pending, use_ctx, use_load};

/// The request's number as the table shows it: the start of its id (the search takes any part).
pub fn short_number(id: &uuid::Uuid) -> String {
    id.to_string()[..8].to_owned()
}

/// Whether a request passes the filters: status and kind (empty is all), and a search text found
/// in its number or its requester's address.
fn shown(request: &RequestSummary, status: &str, kind: &str, search: &str) -> bool {
    let search = search.trim().to_lowercase();
    (status.is_empty() || request.status.as_str() == status)
        && (kind.is_empty() || request.kind.as_str() == kind)
        && (search.is_empty()
            || request.id.to_string().contains(&search)
            || request
                .email
                .as_ref()
                .is_some_and(|e| e.as_ref().to_lowercase().contains(&search)))
}

/// The deadline as words and a class: overdue, due this week, or the days left.
pub fn deadline(request: &RequestSummary, t: &Texts) -> (String, &'static str) {
    if request.status.is_closed() {
        (t.none.to_owned(), "")
    } else if request.overdue {
        (
            format!("{} ({} {})", t.overdue, -request.days_left, t.days),
            "overdue",
        )
    } else if request.days_left <= 7 {
        (
            format!("{} {} ({})", request.days_left, t.days, t.due_this_week),
            "soon",
        )
    } else {
        (format!("{} {}", request.days_left, t.days), "")
    }
}

#[component]
pub fn Inbox() -> Html {
    let ctx = use_ctx();
    let t = ctx.t();
    let language = ctx.language;
    let status = use_state(String::new);
    let kind = use_state(String::new);
    let search = use_state(String::new);
    let (inbox, reload) = use_load((), {
        let ctx = ctx.clone();
        move |()| {
            let ctx = ctx.clone();
            async move { ctx.call::<endpoints::AdminRequests>(&[], None).await }
        }
    });
    let select = |state: &UseStateHandle<String>| {
        let state = state.clone();
        Callback::from(move |e: Event| state.set(event_value(&e)))
    };

    let table = match &inbox {
        Load::Ready(requests) => {
            let rows: Vec<&RequestSummary> = requests
                .iter()
                .filter(|r| shown(r, &status, &kind, &search))
                .collect();
            if rows.is_empty() {
                html! { <p data-admin="inbox-empty">{ t.no_requests }</p> }
            } else {
                html! {
                    <>
                    <p role="status" class="hint">{ format!("{}: {}", t.count_shown, rows.len()) }</p>
                    <div class="table" role="region" aria-label={t.inbox_title} tabindex="0">
                    <table data-admin="inbox">
                        <thead><tr>
                            <th scope="col">{ t.number }</th>
                            <th scope="col">{ t.kind }</th>
                            <th scope="col">{ t.status }</th>
                            <th scope="col">{ t.days_left }</th>
                            <th scope="col">{ t.due }</th>
                            <th scope="col">{ t.received }</th>
                            <th scope="col">{ t.site }</th>
                        </tr></thead>
                        <tbody>
                        { for rows.into_iter().map(|r| {
                            let (words, class) = deadline(r, t);
                            html! {
                                <tr data-admin="inbox-row" data-id={r.id.to_string()} class={class}>
                                    <td><a class="number" href={href(&format!("requests/{}", r.id))}>{ short_number(&r.id) }</a></td>
                                    <td>{ r.kind.label(language) }</td>
                                    <td>{ r.status.label(language) }</td>
                                    <td data-admin="days-left"><span class={classes!("deadline", class)}>{ words }</span></td>
                                    <td>{ date(r.due_date) }</td>
                                    <td>{ local_time(r.received_at, language) }</td>
                                    <td>{ r.site.as_str() }</td>
                                </tr>
                            }
                        }) }
                        </tbody>
                    </table>
                    </div>
                    </>
                }
            }
        }
        other => pending(other, t, &reload),
    };

    html! {
        <main>
            <h1 tabindex="-1">{ t.inbox_title }</h1>
            if !ctx.can_act() {
                <p class="notice">{ t.viewer_note }</p>
            }
            <form class="filters" role="search" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                <div>
                    <label for="filter-status">{ t.filter_status }</label>
                    <select id="filter-status" data-admin="filter-status" onchange={select(&status)}>
                        <option value="" selected={status.is_empty()}>{ t.all }</option>
                        { for RequestStatus::ALL.into_iter()
                            .filter(|s| *s != RequestStatus::AwaitingVerification)
                            .map(|s| html! {
                                <option value={s.as_str()} selected={*status == s.as_str()}>{ s.label(language) }</option>
                            }) }
                    </select>
                </div>
                <div>
                    <label for="filter-kind">{ t.filter_kind }</label>
                    <select id="filter-kind" data-admin="filter-kind" onchange={select(&kind)}>
                        <option value="" selected={kind.is_empty()}>{ t.all }</option>
                        { for RightsRequestKind::ALL.into_iter().map(|k| html! {
                            <option value={k.as_str()} selected={*kind == k.as_str()}>{ k.label(language) }</option>
                        }) }
                    </select>
                </div>
                <div>
                    <label for="filter-search">{ t.search }</label>
                    <input id="filter-search" type="search" data-admin="search"
                        aria-describedby="filter-search-hint"
                        value={(*search).clone()} oninput={crate::ui::bind(&search)} />
                    <span id="filter-search-hint" class="hint">{ t.search_hint }</span>
                </div>
            </form>
            { table }
        </main>
    }
}
