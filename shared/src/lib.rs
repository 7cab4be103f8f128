//! Everything the widget, the admin console, the server and the tests must agree on: the purposes
//! and sites, the consent wire types and their validation, the consent cookie, the problem+json
//! error body and one HTTP client for the API.
//!
//! Architecture invariant: this crate knows nothing of actix-web, SQL, tokio or the DOM. It builds
//! for `wasm32-unknown-unknown` (HTTP through gloo-net) and natively (HTTP through reqwest, behind
//! the `native-client` feature).

pub mod api;
pub mod consent;
pub mod cookie;
pub mod dist;
pub mod engine;
pub mod facts;
pub mod identity;
pub mod language;
#[cfg(feature = "openapi")]
pub mod openapi;
pub mod policy;
pub mod problem;
pub mod purpose;
pub mod rights;
pub mod site;
pub mod validate;
pub mod wire;

pub use consent::{
    ConsentChoices, ConsentDecision, ConsentEvent, ConsentKind, ConsentReceipt, ConsentSource,
    RecordConsent, SubjectId,
};
pub use language::Language;
pub use problem::{FieldError, Problem, ProblemKind};
pub use purpose::PurposeId;
pub use site::{Site, SiteId};
pub use validate::{CustomerNumber, EmailAddress};
