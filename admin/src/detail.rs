//! One request: what was asked, by whom, its history and e-mails, and the officer's actions:
//! reply (with files), extend (once, before the original due date, the new date shown first),
//! complete (for access and portability the automatic export shown before it is sent) and refuse
//! (with reasons; the requester is told of the complaint to the Autoriteit Persoonsgegevens and
//! the route to court).

use privacy_shared::api::endpoints;
use privacy_shared::rights::{MAX_EXTENSION_MONTHS, extended_due_date};
use privacy_shared::validate::{Base64, BoundedText, FileName, MediaType};
use privacy_shared::wire::{
    AdminRequestDetail, AnswerRequest, ExportPreviewFile, ExtendRequest, NewAttachment,
    OutboxMessage, RefuseRequest,
};
use std::rc::Rc;
use uuid::Uuid;
use yew::prelude::*;

use crate::inbox::{deadline, short_number};
use crate::ui::{Ctx, Load, bind, date, event_value, href, local_time, pending, use_ctx, use_load};

#[derive(Properties, PartialEq)]
pub struct DetailProps {
    pub id: Uuid,
}

/// Today's date in UTC, as the server counts deadlines.
fn today() -> time::Date {
    let now = js_sys::Date::new_0();
    let month =
        time::Month::try_from(now.get_utc_month() as u8 + 1).unwrap_or(time::Month::January);
    time::Date::from_calendar_date(
        now.get_utc_full_year() as i32,
        month,
        now.get_utc_date() as u8,
    )
    .unwrap_or(time::Date::MIN)
}

#[derive(Clone, PartialEq)]
struct Loaded {
    request: Rc<AdminRequestDetail>,
    emails: Rc<Vec<OutboxMessage>>,
}

async fn load(ctx: Ctx, id: Uuid) -> Result<Loaded, String> {
    let id_text = id.to_string();
    let request = ctx
        .call::<endpoints::AdminRequest>(&[("id", &id_text)], None)
        .await?;
    let emails = ctx
        .query::<endpoints::AdminOutbox>(&[], &[("request", &id_text)])
        .await?;
    Ok(Loaded {
        request: Rc::new(request),
        emails: Rc::new(emails),
    })
}

#[component]
pub fn Detail(props: &DetailProps) -> Html {
    let ctx = use_ctx();
    let t = ctx.t();
    let language = ctx.language;
    let (loaded, reload) = use_load(props.id, {
        let ctx = ctx.clone();
        move |id| load(ctx.clone(), id)
    });
    let saved = use_state(|| false);

    let body = match &loaded {
        Load::Ready(loaded) => {
            let r = &loaded.request;
            let s = &r.summary;
            let (words, class) = deadline(s, t);
            let text = |value: Option<&str>| value.map_or_else(|| t.none.to_owned(), str::to_owned);
            let after = {
                let (reload, saved) = (reload.clone(), saved.clone());
                Callback::from(move |()| {
                    saved.set(true);
                    reload.emit(());
                })
            };
            html! {
                <>
                if s.overdue {
                    <p class="warning" role="alert" data-admin="past-due">{ t.past_due_warning }</p>
                }
                if *saved {
                    <p role="status" class="notice" data-admin="saved">{ t.done }</p>
                }
                <dl class="facts" data-admin="summary">
                    <dt>{ t.number }</dt><dd class="number" data-admin="number">{ s.id.to_string() }</dd>
                    <dt>{ t.kind }</dt><dd>{ s.kind.label(language) }</dd>
                    <dt>{ t.status }</dt><dd data-admin="status">{ s.status.label(language) }</dd>
                    <dt>{ t.site }</dt><dd>{ s.site.as_str() }</dd>
                    <dt>{ t.received }</dt><dd>{ local_time(s.received_at, language) }</dd>
                    <dt>{ t.due }</dt><dd data-admin="due">{ date(s.due_date) }</dd>
                    <dt>{ t.days_left }</dt><dd><span class={classes!("deadline", class)}>{ words }</span></dd>
                    if let Some(reason) = &r.extension_reason {
                        <dt>{ t.extension_reason }</dt><dd>{ reason }</dd>
                    }
                </dl>
                <h2>{ t.requester }</h2>
                <dl class="facts" data-admin="requester">
                    <dt>{ t.email }</dt><dd>{ text(s.email.as_ref().map(AsRef::as_ref)) }</dd>
                    <dt>{ t.customer }</dt><dd>{ text(r.customer.as_ref().map(AsRef::as_ref)) }</dd>
                    <dt>{ t.name }</dt><dd>{ text(r.name.as_deref()) }</dd>
                    <dt>{ t.language }</dt><dd>{ r.language.as_str() }</dd>
                    <dt>{ t.details }</dt><dd class="prose">{ text(r.details.as_deref()) }</dd>
                </dl>
                <h2>{ t.history }</h2>
                <ol class="history" data-admin="history">
                    { for r.history.iter().map(|h| html! {
                        <li>
                            <span class="when">{ local_time(h.at, language) }</span>{ " · " }
                            <strong>{ h.status.label(language) }</strong>
                            if let Some(note) = &h.note {
                                <p class="prose">{ note }</p>
                            }
                        </li>
                    }) }
                </ol>
                <h2>{ t.emails_sent }</h2>
                if loaded.emails.is_empty() {
                    <p>{ t.no_emails }</p>
                } else {
                    <ul class="emails" data-admin="emails">
                        { for loaded.emails.iter().map(|m| html! {
                            <li>
                                <details>
                                    <summary>
                                        { format!("{} · {} · {}", local_time(m.queued_at, language), m.to.as_ref(), m.subject) }
                                        { format!(" ({})", if m.sent { t.sent } else { t.queued }) }
                                    </summary>
                                    <pre class="mail">{ &m.body }</pre>
                                </details>
                            </li>
                        }) }
                    </ul>
                }
                if !r.attachments.is_empty() {
                    <h2>{ t.files }</h2>
                    <ul data-admin="files">
                        { for r.attachments.iter().map(|a| html! {
                            <li>{ format!("{} ({}, {} B)", a.name, a.content_type, a.size) }</li>
                        }) }
                    </ul>
                }
                <h2>{ t.actions }</h2>
                if s.status.is_closed() {
                    <p data-admin="closed">{ t.closed_note }</p>
                } else if ctx.can_act() {
                    <Actions request={loaded.request.clone()} {after} />
                } else {
                    <p>{ t.viewer_note }</p>
                }
                </>
            }
        }
        other => pending(other, t, &reload),
    };

    html! {
        <main>
            <p><a href={href("")}>{ t.back_to_inbox }</a></p>
            <h1 tabindex="-1">{ format!("{} {}", t.request_title, short_number(&props.id)) }</h1>
            { body }
        </main>
    }
}

#[derive(Properties, PartialEq)]
struct ActionsProps {
    request: Rc<AdminRequestDetail>,
    /// Called after an action succeeded.
    after: Callback<()>,
}

/// The files chosen in a file input, read and base64-encoded.
async fn read_files(
    input: Option<web_sys::HtmlInputElement>,
) -> Result<Vec<NewAttachment>, String> {
    let mut files = Vec::new();
    let Some(list) = input.and_then(|i| i.files()) else {
        return Ok(files);
    };
    for index in 0..list.length() {
        let Some(file) = list.get(index) else {
            continue;
        };
        let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
            .await
            .map_err(|_| format!("{}: cannot read", file.name()))?;
        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
        let content_type = if file.type_().is_empty() {
            "application/octet-stream".to_owned()
        } else {
            file.type_()
        };
        // The server's rules, checked here first so the officer learns which file is wrong.
        let name = FileName::parse(&file.name()).map_err(|e| format!("{}: {e}", file.name()))?;
        let content_type =
            MediaType::parse(&content_type).map_err(|e| format!("{}: {e}", file.name()))?;
        files.push(NewAttachment {
            name: name.into(),
            content_type: content_type.into(),
            content_base64: Base64::encode(&bytes).into(),
        });
    }
    Ok(files)
}

/// Which action form is open.
#[derive(Clone, Copy, PartialEq)]
enum Open {
    None,
    Reply,
    Extend,
    Complete,
    Refuse,
}

#[component]
fn Actions(props: &ActionsProps) -> Html {
    let ctx = use_ctx();
    let t = ctx.t();
    let request = props.request.clone();
    let summary = &request.summary;
    let open = use_state(|| Open::None);
    let message = use_state(String::new);
    let reason = use_state(String::new);
    let months = use_state(|| 2_u8);
    let confirming = use_state(|| false);
    let failure = use_state(|| None::<String>);
    let busy = use_state(|| false);
    let files = use_node_ref();
    let preview = use_state(|| None::<Load<Rc<Vec<ExportPreviewFile>>>>);
    let id = summary.id.to_string();

    let extension = (request.extension_reason.is_none())
        .then(|| extended_due_date(summary.due_date, *months, today()).ok())
        .flatten();

    let choose = |which: Open| {
        let (open, failure, confirming) = (open.clone(), failure.clone(), confirming.clone());
        let (preview, ctx, id) = (preview.clone(), ctx.clone(), id.clone());
        let needs_export = which == Open::Complete && summary.kind.includes_export();
        Callback::from(move |_| {
            failure.set(None);
            confirming.set(false);
            open.set(if *open == which { Open::None } else { which });
            if needs_export && preview.is_none() {
                preview.set(Some(Load::Loading));
                let (preview, ctx, id) = (preview.clone(), ctx.clone(), id.clone());
                wasm_bindgen_futures::spawn_local(async move {
                    let files = ctx
                        .call::<endpoints::AdminExportPreview>(&[("id", &id)], None)
                        .await;
                    preview.set(Some(match files {
                        Ok(files) => Load::Ready(Rc::new(files)),
                        Err(e) => Load::Failed(e),
                    }));
                });
            }
        })
    };

    let onsubmit = {
        let (open, message, reason, months, confirming) = (
            open.clone(),
            message.clone(),
            reason.clone(),
            months.clone(),
            confirming.clone(),
        );
        let (failure, busy, files, after, ctx, id) = (
            failure.clone(),
            busy.clone(),
            files.clone(),
            props.after.clone(),
            ctx.clone(),
            id.clone(),
        );
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let which = *open;
            let text = if which == Open::Extend || which == Open::Refuse {
                (*reason).clone()
            } else {
                (*message).clone()
            };
            if text.trim().is_empty() {
                failure.set(Some(t.field_required.to_owned()));
                return;
            }
            // An extension shows its new due date and asks once more before it is sent.
            if which == Open::Extend && !*confirming {
                confirming.set(true);
                return;
            }
            let (failure, busy, after, ctx, id) = (
                failure.clone(),
                busy.clone(),
                after.clone(),
                ctx.clone(),
                id.clone(),
            );
            let input = files.cast::<web_sys::HtmlInputElement>();
            let months = *months;
            let open = open.clone();
            busy.set(true);
            wasm_bindgen_futures::spawn_local(async move {
                let params = [("id", id.as_str())];
                let outcome = async {
                    let answer = |attachments| {
                        BoundedText::parse(&text)
                            .map(|message| AnswerRequest {
                                message,
                                attachments,
                            })
                            .map_err(|e| e.to_string())
                    };
                    match which {
                        Open::Reply => {
                            let body = answer(read_files(input).await?)?;
                            ctx.call::<endpoints::AdminReply>(&params, Some(&body))
                                .await
                        }
                        Open::Complete => {
                            let body = answer(read_files(input).await?)?;
                            ctx.call::<endpoints::AdminComplete>(&params, Some(&body))
                                .await
                        }
                        Open::Extend => {
                            let body = ExtendRequest {
                                months,
                                reason: BoundedText::parse(&text).map_err(|e| e.to_string())?,
                            };
                            ctx.call::<endpoints::AdminExtend>(&params, Some(&body))
                                .await
                        }
                        Open::Refuse => {
                            let body = RefuseRequest {
                                reasons: BoundedText::parse(&text).map_err(|e| e.to_string())?,
                            };
                            ctx.call::<endpoints::AdminRefuse>(&params, Some(&body))
                                .await
                        }
                        Open::None => Err(String::new()),
                    }
                }
                .await;
                busy.set(false);
                match outcome {
                    Ok(_) => {
                        open.set(Open::None);
                        after.emit(());
                    }
                    Err(e) => failure.set(Some(e)),
                }
            });
        })
    };

    let toggle = |which: Open, label: &'static str, hook: &'static str| {
        html! {
            <button type="button" data-admin={hook} aria-expanded={(*open == which).to_string()}
                onclick={choose(which)}>{ label }</button>
        }
    };
    let files_field = html! {
        <>
            <label for="answer-files">{ t.attach_files }</label>
            <input id="answer-files" type="file" multiple=true ref={files.clone()} data-admin="files-input" />
        </>
    };
    let message_field = html! {
        <>
            <label for="answer-message">{ t.message }</label>
            <textarea id="answer-message" data-admin="message" rows="6"
                value={(*message).clone()} oninput={bind(&message)} />
        </>
    };
    let reason_field = |label: &'static str| {
        html! {
            <>
                <label for="action-reason">{ label }</label>
                <textarea id="action-reason" data-admin="reason" rows="4"
                    value={(*reason).clone()} oninput={bind(&reason)} />
            </>
        }
    };
    let form = match *open {
        Open::None => html! {},
        Open::Reply => html! {
            <>
                <p>{ t.reply_intro }</p>
                { message_field }
                { files_field }
                <button type="submit" data-admin="submit" disabled={*busy}>{ t.send_reply }</button>
            </>
        },
        Open::Extend => match extension {
            None => html! { <p data-admin="extend-closed">{ t.extend_closed }</p> },
            Some(new_due) => {
                let onmonths = {
                    let (months, confirming) = (months.clone(), confirming.clone());
                    Callback::from(move |e: Event| {
                        months.set(event_value(&e).parse().unwrap_or(MAX_EXTENSION_MONTHS));
                        confirming.set(false);
                    })
                };
                html! {
                    <>
                        <p>{ t.extend_intro }</p>
                        <label for="extend-months">{ t.months }</label>
                        <select id="extend-months" data-admin="months" onchange={onmonths}>
                            { for (1..=MAX_EXTENSION_MONTHS).map(|m| html! {
                                <option value={m.to_string()} selected={*months == m}>{ m }</option>
                            }) }
                        </select>
                        { reason_field(t.reason) }
                        <p data-admin="new-due" role="status">
                            { format!("{}: {}", t.new_due_date, date(new_due)) }
                        </p>
                        <button type="submit" data-admin="submit" disabled={*busy}>
                            { if *confirming { t.confirm_extend } else { t.extend } }
                        </button>
                    </>
                }
            }
        },
        Open::Complete => {
            let export = match &*preview {
                None => html! {},
                Some(Load::Ready(files)) => html! {
                    <section class="export" data-admin="export-preview" aria-label={t.export_preview}>
                        <h3>{ t.export_preview }</h3>
                        <p>{ t.export_note }</p>
                        { for files.iter().map(|f| html! {
                            <details>
                                <summary>{ format!("{} ({})", f.name, f.content_type) }</summary>
                                <pre tabindex="0">{ &f.text }</pre>
                            </details>
                        }) }
                    </section>
                },
                Some(other) => pending(other, t, &Callback::noop()),
            };
            let ready =
                !summary.kind.includes_export() || matches!(&*preview, Some(Load::Ready(_)));
            html! {
                <>
                    <p>{ t.complete_intro }</p>
                    { export }
                    { message_field }
                    { files_field }
                    <button type="submit" data-admin="submit" disabled={*busy || !ready}>{ t.confirm_complete }</button>
                </>
            }
        }
        Open::Refuse => html! {
            <>
                <p>{ t.refuse_intro }</p>
                { reason_field(t.reasons) }
                <button type="submit" data-admin="submit" disabled={*busy}>{ t.confirm_refuse }</button>
            </>
        },
    };

    html! {
        <div class="actions" data-admin="actions">
            <div class="buttons">
                { toggle(Open::Reply, t.reply, "reply") }
                { toggle(Open::Extend, t.extend, "extend") }
                { toggle(Open::Complete, t.complete, "complete") }
                { toggle(Open::Refuse, t.refuse, "refuse") }
            </div>
            if *open != Open::None {
                <form class="action" data-admin="action-form" onsubmit={onsubmit} novalidate=true>
                    { form }
                    if let Some(message) = &*failure {
                        <p class="problem" role="alert" data-admin="action-error">{ message }</p>
                    }
                </form>
            }
        </div>
    }
}
