//! What the page's `window.VirtioPrivacy` reaches: the current choice, and commands to the running
//! app. The loader wires the JavaScript API to the functions exported in `lib.rs`, which use these.

use privacy_shared::cookie::ConsentCookie;
use std::cell::RefCell;
use yew::Callback;

/// What `VirtioPrivacy.open(view)` opens, in a dialog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Preferences,
    Policy,
    Rights,
}

impl View {
    /// `"policy"`, `"rights"`; anything else is the preferences.
    pub fn parse(name: &str) -> Self {
        match name {
            "policy" => Self::Policy,
            "rights" => Self::Rights,
            _ => Self::Preferences,
        }
    }
}

/// A request from the host page.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Open a view in a dialog.
    Open(View),
    /// Apply a choice made in the inline preferences (`data-virtio-privacy="preferences"`).
    Decide(privacy_shared::ConsentChoices),
    /// The customer's identity token, signed by the interface app.
    SetIdentity(String),
    /// Consent to one more purpose (an iframe placeholder's button).
    Grant(privacy_shared::PurposeId),
}

thread_local! {
    static CONTROL: RefCell<Option<Callback<Command>>> = const { RefCell::new(None) };
    static CURRENT: RefCell<Option<ConsentCookie>> = const { RefCell::new(None) };
    static IDENTITY: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Remembers the customer's identity token for the rights center.
pub fn set_identity(token: String) {
    IDENTITY.with(|i| *i.borrow_mut() = Some(token));
}

/// The customer's identity token, if the host page gave one.
pub fn identity() -> Option<String> {
    IDENTITY.with(|i| i.borrow().clone())
}

/// Called by the app once it runs.
pub fn connect(control: Callback<Command>) {
    CONTROL.with(|c| *c.borrow_mut() = Some(control));
}

/// Sends a command to the app; ignored before it runs (the loader waits for `ready`).
pub fn send(command: Command) {
    if let Some(control) = CONTROL.with(|c| c.borrow().clone()) {
        control.emit(command);
    }
}

/// Records the choice that applies now.
pub fn set_current(consent: Option<ConsentCookie>) {
    CURRENT.with(|c| *c.borrow_mut() = consent);
}

pub fn current() -> Option<ConsentCookie> {
    CURRENT.with(|c| c.borrow().clone())
}
