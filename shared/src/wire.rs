//! Request and response bodies of the endpoints that are neither consent events nor rights
//! requests: the site configuration, the policy versions, cross-device consent and the admin API.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::rights::{AttachmentInfo, HistoryEntry, RequestStatus, RightsRequestKind};
use crate::validate::{BoundedText, EmailAddress};
use crate::{ConsentReceipt, CustomerNumber, Language, PurposeId, SiteId};

/// The answer of `GET /api/v1/health`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Health {
    pub status: String,
    pub database: String,
}

/// One purpose as the widget shows it, in the requested language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurposeInfo {
    pub id: PurposeId,
    pub label: String,
    pub description: String,
    pub processors: Vec<String>,
    pub retention: Option<String>,
    /// The cookie names this purpose sets on the site (a trailing `*` matches any suffix).
    pub cookies: Vec<String>,
    /// The Web Storage keys this purpose keeps on the site.
    pub storage_keys: Vec<String>,
    /// `necessary`: shown, always on, cannot be switched off.
    pub locked: bool,
}

/// `GET /api/v1/sites/{site}/config?lang=`: what the widget needs to ask for consent on a site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SiteConfig {
    pub site: SiteId,
    pub name: String,
    pub language: Language,
    pub policy_version: String,
    pub notice_hash: String,
    pub purposes: Vec<PurposeInfo>,
    /// The site's values of the widget's theme variables (`--vp-button-background`, …).
    pub theme: BTreeMap<String, String>,
}

/// A view as the widget's component renders it on the server, for the loader's `dialogs.js` to
/// show without a UI framework: `GET /api/v1/sites/{site}/preferences?lang=` (every toggle off but
/// the locked ones; the module sets them to the stored choice and fills in the proof of it,
/// `data-vp-slot="proof"`) and `GET /api/v1/policy/view?lang=` (the current policy).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenderedView {
    /// The modal dialog (`data-vp="preferences"`, `data-vp="policy-dialog"`).
    pub dialog: String,
    /// The same in the page, for a mount point (`data-vp="inline-preferences"`,
    /// `data-vp="policy"`).
    pub inline: String,
    /// The rules of both, which the widget's stylesheet does not carry.
    pub css: String,
}

/// One published policy version (`GET /api/v1/policy/versions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PolicyVersionInfo {
    pub version: String,
    pub effective: String,
    /// The notice hash of each language.
    pub notice_hashes: BTreeMap<Language, String>,
}

/// `GET /api/v1/me/consent`: a logged-in customer's latest consent on a site, on any device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MeConsent {
    pub customer: CustomerNumber,
    pub latest: Option<ConsentReceipt>,
    /// The customer's choices on the site with their receipts, newest first (the latest 50).
    pub history: Vec<ConsentReceipt>,
}

/// `POST /api/v1/dev/identity-token`: a demo login's customer. Development only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DevTokenRequest {
    pub customer: CustomerNumber,
    pub email: EmailAddress,
    /// The site the token is for (its audience); without it, any site of the group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<crate::SiteId>,
}

/// An identity token signed as the interface app signs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DevToken {
    pub token: String,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// `PUT /api/v1/me/consent`: a customer's choice, recorded as a ledger event linked to them under
/// the customer's own pseudonymous subject.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct PutMeConsent {
    pub idempotency_key: Uuid,
    #[serde(flatten)]
    pub decision: crate::consent::ConsentDecision,
}

/// `POST /api/v1/admin/login`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminLogin {
    pub email: EmailAddress,
    pub password: String,
    /// The current 6-digit TOTP code.
    pub totp: String,
}

/// The body of `POST /api/v1/admin/enrollment`: a staff member's first sign-in, before their
/// authenticator app has the account's TOTP secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AdminEnrollmentRequest {
    pub email: EmailAddress,
    pub password: String,
}

/// Never prints the password.
impl std::fmt::Debug for AdminEnrollmentRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminEnrollmentRequest")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// What an authenticator app needs to set up an account: the `otpauth://` URI, as a QR code and
/// as the secret to type in.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TotpEnrollment {
    pub otpauth_uri: String,
    /// The secret in base32, for typing into an app that cannot scan.
    pub secret: String,
    /// The QR code of `otpauth_uri`: `qr_size` rows of `qr_size` modules, `1` for dark, row by
    /// row, without the quiet zone.
    pub qr_size: u32,
    pub qr_modules: String,
}

/// Never prints the secret.
impl std::fmt::Debug for TotpEnrollment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpEnrollment").finish_non_exhaustive()
    }
}

/// Never prints the password or the code.
impl std::fmt::Debug for AdminLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminLogin")
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// The HttpOnly cookie that carries a staff session.
pub const STAFF_SESSION_COOKIE: &str = "vp_admin";

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Handles requests: may change them.
    Officer,
    /// Reads only.
    Viewer,
}

/// The signed-in staff member; the session itself travels in an HttpOnly cookie.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminSession {
    pub email: EmailAddress,
    pub role: StaffRole,
    /// When the session ends; the console signs in again after it.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// One line of the request inbox, sorted by days left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestSummary {
    pub id: Uuid,
    pub kind: RightsRequestKind,
    pub status: RequestStatus,
    pub site: SiteId,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub due_date: Date,
    /// Negative when overdue.
    pub days_left: i64,
    pub overdue: bool,
    /// The requester's address, when they gave one (a customer may file without).
    pub email: Option<EmailAddress>,
}

impl RequestSummary {
    /// The days left until `due_date` on `today`, and whether the request is overdue: still open
    /// after its due date.
    pub fn deadline(due_date: Date, status: RequestStatus, today: Date) -> (i64, bool) {
        let days_left = (due_date - today).whole_days();
        (days_left, days_left < 0 && !status.is_closed())
    }
}

/// A request as staff see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdminRequestDetail {
    pub summary: RequestSummary,
    pub customer: Option<CustomerNumber>,
    pub name: Option<String>,
    pub details: Option<String>,
    pub language: Language,
    pub extension_reason: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// Files of the answer, the automatic export included.
    pub attachments: Vec<AttachmentInfo>,
}

/// `POST /api/v1/admin/requests/{id}/extend`: once, before the due date, with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExtendRequest {
    /// 1 to [`crate::rights::MAX_EXTENSION_MONTHS`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 2))]
    pub months: u8,
    pub reason: BoundedText<2000>,
}

/// `POST /api/v1/admin/requests/{id}/complete` and `/reply`, with files for the requester. Their
/// content is stored encrypted and served to the requester by `/api/v1/requests/{id}/answer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AnswerRequest {
    pub message: BoundedText<20000>,
    #[serde(default)]
    pub attachments: Vec<NewAttachment>,
}

/// A file an officer attaches to an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewAttachment {
    /// A file name without a path, such as `invoice-records.pdf` ([`crate::validate::FileName`]).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::validate::FileName))]
    pub name: String,
    /// Such as `application/pdf` ([`crate::validate::MediaType`]).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::validate::MediaType))]
    pub content_type: String,
    /// The content, standard padded base64 ([`crate::validate::Base64`]).
    #[cfg_attr(feature = "openapi", schema(value_type = crate::validate::Base64))]
    pub content_base64: String,
}

/// `POST /api/v1/admin/requests/{id}/refuse`: the reasons are required.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RefuseRequest {
    pub reasons: BoundedText<5000>,
}

/// `GET /api/v1/admin/stats`: what visitors chose, per day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentStats {
    /// Granted and refused per site, purpose and day.
    pub purposes: Vec<ConsentStatsRow>,
    /// Events per site, kind (accept all, reject all, custom, withdraw, …) and day.
    pub kinds: Vec<ConsentKindRow>,
}

/// How many events of one kind a site recorded on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentKindRow {
    pub site: SiteId,
    pub kind: crate::ConsentKind,
    pub day: Date,
    pub events: u64,
}

/// One file of the export a completed access or portability request will carry, shown to the
/// officer before it is sent (`GET /api/v1/admin/requests/{id}/export`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportPreviewFile {
    pub name: String,
    pub content_type: String,
    /// The file's text (JSON or CSV).
    pub text: String,
}

/// Consent counts of one site, purpose and day (`GET /api/v1/admin/stats`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentStatsRow {
    pub site: SiteId,
    pub purpose: PurposeId,
    pub day: Date,
    pub granted: u64,
    pub refused: u64,
}

/// The outcome of recomputing the hash chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LedgerVerification {
    /// How many events were checked.
    pub events: u64,
    /// The first event that does not chain to the one before it, if any.
    pub first_broken: Option<BrokenLink>,
}

/// Where and why the hash chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokenLink {
    /// The event's position in the ledger, counting from 1.
    pub seq: u64,
    pub event_id: String,
    pub reason: String,
}

/// One entry of the staff audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub actor: EmailAddress,
    pub action: String,
    pub request: Option<Uuid>,
    pub hash: String,
}

/// The audit log (`GET /api/v1/admin/audit`): the newest entries, and where the chain breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    /// The position of the first entry that does not chain to the one before it, if any.
    pub first_broken: Option<u64>,
}

/// One e-mail in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutboxMessage {
    pub id: Uuid,
    pub to: EmailAddress,
    pub subject: String,
    pub body: String,
    pub request: Option<Uuid>,
    #[serde(with = "time::serde::rfc3339")]
    pub queued_at: OffsetDateTime,
    pub sent: bool,
    pub attempts: u32,
}
