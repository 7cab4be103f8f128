//! What the page's `window.VirtioPrivacy.open(view)` reaches: the views bundle's dialog app, once
//! it runs ([`crate::views`]).

use std::cell::RefCell;
use yew::Callback;

/// What `VirtioPrivacy.open(view)` opens in the views bundle's dialog (the preferences and the
/// policy are the loader's `dialogs.js`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Rights,
}

impl View {
    /// `"rights"`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "rights" => Some(Self::Rights),
            _ => None,
        }
    }
}

thread_local! {
    static OPEN: RefCell<Option<Callback<View>>> = const { RefCell::new(None) };
}

/// Called by the app once it runs.
pub fn connect(open: Callback<View>) {
    OPEN.with(|c| *c.borrow_mut() = Some(open));
}

/// Opens `view` in a dialog and says whether an app was there to open it (none before the app
/// runs: the loader waits for `ready`).
pub fn open(view: View) -> bool {
    let open = OPEN.with(|c| c.borrow().clone());
    if let Some(open) = &open {
        open.emit(view);
    }
    open.is_some()
}
