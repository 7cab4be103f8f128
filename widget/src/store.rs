//! The one place the widget's consent state lives: the page's [`Engine`] from `shared`, with the
//! client of the privacy server it reports to. Every
//! change goes through [`dispatch`], which steps the engine and hands its effects to
//! [`crate::effects::run`]; `window.VirtioPrivacy` reads the engine, and what is shown follows it
//! ([`on_change`], [`crate::layer`]).

use privacy_shared::api::ApiClient;
use privacy_shared::engine::{Action, Engine, Fresh};
use std::cell::{Cell, RefCell};

use crate::browser;

thread_local! {
    static ENGINE: RefCell<Option<Engine>> = const { RefCell::new(None) };
    static CLIENT: RefCell<Option<ApiClient>> = const { RefCell::new(None) };
    /// Wakes the engine when the current choice stops being current.
    static EXPIRY: RefCell<Option<gloo_timers::callback::Timeout>> = const { RefCell::new(None) };
    /// What is told of every change ([`on_change`]).
    static LISTENER: Cell<Option<fn()>> = const { Cell::new(None) };
}

/// Puts the page's engine and the privacy server's client in place (once, when the widget
/// starts).
pub fn install(engine: Engine, client: ApiClient) {
    ENGINE.with(|e| *e.borrow_mut() = Some(engine));
    CLIENT.with(|c| *c.borrow_mut() = Some(client));
}

/// The privacy server's client; `None` before the widget started.
pub fn client() -> Option<ApiClient> {
    CLIENT.with(|c| c.borrow().clone())
}

/// Steps the engine with `action` now, carries out its effects, and tells the components.
pub fn dispatch(action: Action) {
    let fresh = Fresh {
        subject: browser::new_subject_id(),
        key: browser::new_idempotency_key(),
        expiry_key: browser::new_idempotency_key(),
    };
    let effects = ENGINE.with(|e| {
        e.borrow_mut()
            .as_mut()
            .map(|engine| engine.step(action, browser::now_seconds(), fresh))
    });
    if let Some(effects) = effects {
        crate::effects::run(effects);
        schedule_expiry();
        notify();
    }
}

/// The longest wait a browser timer takes (about 24.8 days); a later expiry is met at a later
/// action or page load, which check it too.
const LONGEST_TIMER_MS: i64 = i32::MAX as i64;

/// Sets a timer for the moment the current choice stops being current, so a page left open
/// past it asks again without waiting for an action.
fn schedule_expiry() {
    let remaining = read(|e| {
        e.current().map(|c| {
            (c.given_at + privacy_shared::cookie::MAX_AGE_SECONDS - browser::now_seconds()) * 1000
        })
    })
    .flatten();
    let timer = remaining.filter(|&ms| ms < LONGEST_TIMER_MS).map(|ms| {
        gloo_timers::callback::Timeout::new(ms.max(0) as u32 + 1_000, || dispatch(Action::Tick))
    });
    EXPIRY.with(|t| *t.borrow_mut() = timer);
}

/// Tells what is shown that it changed (the engine, or a receipt that arrived).
pub fn notify() {
    if let Some(listener) = LISTENER.with(Cell::get) {
        listener();
    }
}

/// Has `listener` called after every change.
pub fn on_change(listener: fn()) {
    LISTENER.with(|l| l.set(Some(listener)));
}

/// Reads the engine; `None` before the widget started.
pub fn read<T>(f: impl FnOnce(&Engine) -> T) -> Option<T> {
    ENGINE.with(|e| e.borrow().as_ref().map(f))
}
