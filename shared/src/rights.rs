//! Data-subject rights requests (PRODUCT.md §6.3): their kinds, the status machine with its
//! allowed transitions, the legal deadlines, and the bodies of the request endpoints.

use serde::{Deserialize, Serialize};
use time::{Date, Month, OffsetDateTime};
use uuid::Uuid;

use crate::validate::{BoundedText, EmailAddress, VerificationCode};
use crate::{Language, SiteId};

/// The Dutch supervisory authority a person may complain to (GDPR art. 77).
pub const COMPLAINT_AUTHORITY_NAME: &str = "Autoriteit Persoonsgegevens";
/// Its website, where complaints are lodged.
pub const COMPLAINT_AUTHORITY_URL: &str = "https://autoriteitpersoonsgegevens.nl";

/// The rights a person can exercise through the rights center.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RightsRequestKind {
    Access,
    Rectification,
    Erasure,
    Portability,
    Restriction,
    Objection,
    WithdrawConsent,
    AutomatedDecisionReview,
    Complaint,
}

impl RightsRequestKind {
    pub const ALL: [RightsRequestKind; 9] = [
        Self::Access,
        Self::Rectification,
        Self::Erasure,
        Self::Portability,
        Self::Restriction,
        Self::Objection,
        Self::WithdrawConsent,
        Self::AutomatedDecisionReview,
        Self::Complaint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Access => "access",
            Self::Rectification => "rectification",
            Self::Erasure => "erasure",
            Self::Portability => "portability",
            Self::Restriction => "restriction",
            Self::Objection => "objection",
            Self::WithdrawConsent => "withdraw_consent",
            Self::AutomatedDecisionReview => "automated_decision_review",
            Self::Complaint => "complaint",
        }
    }

    /// The right as the rights center and the policy viewer name it.
    pub fn label(self, language: crate::Language) -> &'static str {
        use crate::Language::{En, Nl};
        match (self, language) {
            (Self::Access, Nl) => "Inzage in je gegevens",
            (Self::Access, En) => "Access to your data",
            (Self::Rectification, Nl) => "Correctie van je gegevens",
            (Self::Rectification, En) => "Correction of your data",
            (Self::Erasure, Nl) => "Verwijdering van je gegevens",
            (Self::Erasure, En) => "Erasure of your data",
            (Self::Portability, Nl) => "Je gegevens meenemen (overdraagbaarheid)",
            (Self::Portability, En) => "Taking your data with you (portability)",
            (Self::Restriction, Nl) => "Beperking van de verwerking",
            (Self::Restriction, En) => "Restriction of processing",
            (Self::Objection, Nl) => "Bezwaar tegen de verwerking",
            (Self::Objection, En) => "Objection to processing",
            (Self::WithdrawConsent, Nl) => "Toestemming intrekken",
            (Self::WithdrawConsent, En) => "Withdrawing consent",
            (Self::AutomatedDecisionReview, Nl) => "Menselijke blik op een geautomatiseerd besluit",
            (Self::AutomatedDecisionReview, En) => "Human review of an automated decision",
            (Self::Complaint, Nl) => "Een klacht over hoe we met je gegevens omgaan",
            (Self::Complaint, En) => "A complaint about how we handle your data",
        }
    }

    /// Whether the answer includes an export of what the server holds about the person.
    pub fn includes_export(self) -> bool {
        matches!(self, Self::Access | Self::Portability)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    AwaitingVerification,
    Open,
    InProgress,
    Extended,
    Completed,
    Refused,
    Withdrawn,
}

/// A status change the current status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a request that is {from:?} cannot be {action}")]
pub struct TransitionError {
    pub from: RequestStatus,
    pub action: &'static str,
}

impl RequestStatus {
    pub const ALL: [RequestStatus; 7] = [
        Self::AwaitingVerification,
        Self::Open,
        Self::InProgress,
        Self::Extended,
        Self::Completed,
        Self::Refused,
        Self::Withdrawn,
    ];

    /// The status as the requester and staff read it.
    pub fn label(self, language: crate::Language) -> &'static str {
        use crate::Language::{En, Nl};
        match (self, language) {
            (Self::AwaitingVerification, Nl) => "wacht op bevestiging",
            (Self::AwaitingVerification, En) => "awaiting confirmation",
            (Self::Open, Nl) => "ontvangen",
            (Self::Open, En) => "received",
            (Self::InProgress, Nl) => "in behandeling",
            (Self::InProgress, En) => "in progress",
            (Self::Extended, Nl) => "termijn verlengd",
            (Self::Extended, En) => "deadline extended",
            (Self::Completed, Nl) => "afgehandeld",
            (Self::Completed, En) => "completed",
            (Self::Refused, Nl) => "afgewezen",
            (Self::Refused, En) => "refused",
            (Self::Withdrawn, Nl) => "ingetrokken",
            (Self::Withdrawn, En) => "withdrawn",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AwaitingVerification => "awaiting_verification",
            Self::Open => "open",
            Self::InProgress => "in_progress",
            Self::Extended => "extended",
            Self::Completed => "completed",
            Self::Refused => "refused",
            Self::Withdrawn => "withdrawn",
        }
    }

    /// Whether the request is finished: no further transition is allowed.
    pub fn is_closed(self) -> bool {
        matches!(self, Self::Completed | Self::Refused | Self::Withdrawn)
    }

    fn to(
        self,
        allowed: &[RequestStatus],
        next: RequestStatus,
        action: &'static str,
    ) -> Result<Self, TransitionError> {
        if allowed.contains(&self) {
            Ok(next)
        } else {
            Err(TransitionError { from: self, action })
        }
    }

    /// The requester proved control of the e-mail address, or a customer's token verified it.
    pub fn verify(self) -> Result<Self, TransitionError> {
        self.to(&[Self::AwaitingVerification], Self::Open, "verified")
    }

    /// Staff started handling it.
    pub fn start(self) -> Result<Self, TransitionError> {
        self.to(&[Self::Open], Self::InProgress, "started")
    }

    /// The one extension of the deadline (see [`extended_due_date`] for the date rule).
    pub fn extend(self) -> Result<Self, TransitionError> {
        self.to(&[Self::Open, Self::InProgress], Self::Extended, "extended")
    }

    pub fn complete(self) -> Result<Self, TransitionError> {
        self.to(
            &[Self::Open, Self::InProgress, Self::Extended],
            Self::Completed,
            "completed",
        )
    }

    /// Refused, with reasons and the right to complain to the Autoriteit Persoonsgegevens.
    pub fn refuse(self) -> Result<Self, TransitionError> {
        self.to(
            &[Self::Open, Self::InProgress, Self::Extended],
            Self::Refused,
            "refused",
        )
    }

    /// The requester took the request back.
    pub fn withdraw(self) -> Result<Self, TransitionError> {
        self.to(
            &[
                Self::AwaitingVerification,
                Self::Open,
                Self::InProgress,
                Self::Extended,
            ],
            Self::Withdrawn,
            "withdrawn",
        )
    }
}

/// Unverified requests are deleted after this many days.
pub const UNVERIFIED_EXPIRY_DAYS: i64 = 14;

/// The longest extension, in months.
pub const MAX_EXTENSION_MONTHS: u8 = 2;

/// `date` plus `months` calendar months; a day the target month lacks becomes its last day
/// (31 January + 1 month = 28 or 29 February).
pub fn add_months(date: Date, months: u8) -> Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + i32::from(months);
    let (year, month) = (index.div_euclid(12), (index.rem_euclid(12) + 1) as u8);
    let month = Month::try_from(month).unwrap_or(Month::December);
    let day = date.day().min(time::util::days_in_month(month, year));
    Date::from_calendar_date(year, month, day).unwrap_or(date)
}

/// The legal deadline of a request received on `received`: one calendar month later.
pub fn due_date(received: Date) -> Date {
    add_months(received, 1)
}

/// Why an extension was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExtensionError {
    #[error("an extension is 1 or 2 months")]
    Months,
    #[error("the deadline can only be extended before it has passed")]
    TooLate,
}

/// The deadline after extending `original_due` by `months` on `today`: at most 2 months, and
/// only while the original deadline has not passed.
pub fn extended_due_date(
    original_due: Date,
    months: u8,
    today: Date,
) -> Result<Date, ExtensionError> {
    if !(1..=MAX_EXTENSION_MONTHS).contains(&months) {
        return Err(ExtensionError::Months);
    }
    if today > original_due {
        return Err(ExtensionError::TooLate);
    }
    Ok(add_months(original_due, months))
}

/// The body of `POST /api/v1/requests`. A customer with an identity token needs no e-mail
/// address; a visitor gives one and receives a code. No reason, ID copy or fixed wording is asked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateRightsRequest {
    pub site: SiteId,
    pub kind: RightsRequestKind,
    pub language: Language,
    #[serde(default)]
    pub email: Option<EmailAddress>,
    #[serde(default)]
    pub name: Option<BoundedText<200>>,
    /// What the person wants, in their own words (optional).
    #[serde(default)]
    pub details: Option<BoundedText<5000>>,
    /// The widget's subject id on this browser, so an access answer can include its consent
    /// history (optional).
    #[serde(default)]
    pub subject: Option<crate::SubjectId>,
}

/// The answer to a filed request: keep the status token to follow it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestCreated {
    pub id: Uuid,
    /// A secret that lets the requester read the status page; shown once.
    pub status_token: String,
    pub status: RequestStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub due_date: Date,
}

/// What an e-mailed status link carries in its fragment (`#vp-request=…&vp-token=…`): the
/// request and its status token. Browsers send a fragment neither to a server nor in a `Referer`.
/// The server writes it and the rights center reads it, both through this type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusLink {
    pub id: Uuid,
    pub token: String,
}

impl StatusLink {
    const REQUEST: &'static str = "vp-request";
    const TOKEN: &'static str = "vp-token";

    /// The fragment, without its `#`.
    pub fn fragment(&self) -> String {
        format!(
            "{}={}&{}={}",
            Self::REQUEST,
            self.id,
            Self::TOKEN,
            self.token
        )
    }

    /// The link in `fragment` (with or without its `#`, its parameters in any order, among
    /// others); `None` when either part is missing or malformed. A status token is URL-safe
    /// base64.
    pub fn parse(fragment: &str) -> Option<Self> {
        let (mut id, mut token) = (None, None);
        for pair in fragment.trim_start_matches('#').split('&') {
            match pair.split_once('=') {
                Some((Self::REQUEST, value)) => id = Uuid::try_parse(value).ok(),
                Some((Self::TOKEN, value))
                    if !value.is_empty()
                        && value
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
                {
                    token = Some(value.to_owned());
                }
                _ => {}
            }
        }
        Some(Self {
            id: id?,
            token: token?,
        })
    }
}

/// The body of `POST /api/v1/requests/{id}/verify`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub code: VerificationCode,
}

/// One step in a request's history, as the requester sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    pub status: RequestStatus,
    pub note: Option<String>,
}

/// A file of an answer, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentInfo {
    pub name: String,
    pub content_type: String,
    pub size: u64,
}

/// A file of an answer with its content, base64-encoded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerFile {
    pub name: String,
    pub content_type: String,
    pub content_base64: String,
}

/// `GET /api/v1/requests/{id}/answer`: every file of the answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AnswerFiles {
    pub files: Vec<AnswerFile>,
}

/// The status page of one request (`GET /api/v1/requests/{id}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequestView {
    pub id: Uuid,
    pub kind: RightsRequestKind,
    pub status: RequestStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub received_at: OffsetDateTime,
    pub due_date: Date,
    pub extension_reason: Option<String>,
    pub history: Vec<HistoryEntry>,
    /// The officer's answer, once completed.
    pub answer: Option<String>,
    /// Why the request was refused; a refusal always names the right to complain.
    pub refusal_reasons: Option<String>,
    pub complaint_authority: Option<String>,
    /// Files attached to the answer, downloadable from `/api/v1/requests/{id}/answer`.
    pub attachments: Vec<AttachmentInfo>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn due_dates_are_one_calendar_month_later_clamped_to_the_month_end() {
        let table = [
            (date!(2024 - 01 - 15), date!(2024 - 02 - 15)),
            (date!(2024 - 01 - 31), date!(2024 - 02 - 29)),
            (date!(2023 - 01 - 31), date!(2023 - 02 - 28)),
            (date!(2024 - 02 - 29), date!(2024 - 03 - 29)),
            (date!(2024 - 03 - 31), date!(2024 - 04 - 30)),
            (date!(2024 - 08 - 31), date!(2024 - 09 - 30)),
            (date!(2024 - 12 - 15), date!(2025 - 01 - 15)),
            (date!(2023 - 12 - 31), date!(2024 - 01 - 31)),
            (date!(2100 - 01 - 29), date!(2100 - 02 - 28)),
            (date!(2000 - 01 - 30), date!(2000 - 02 - 29)),
        ];
        for (received, due) in table {
            assert_eq!(due_date(received), due, "received {received}");
        }
    }

    #[test]
    fn one_extension_of_at_most_two_months_only_before_the_original_due_date() {
        let due = date!(2024 - 02 - 29);
        assert_eq!(
            extended_due_date(due, 2, date!(2024 - 02 - 01)),
            Ok(date!(2024 - 04 - 29))
        );
        assert_eq!(extended_due_date(due, 1, due), Ok(date!(2024 - 03 - 29)));
        assert_eq!(
            extended_due_date(date!(2024 - 12 - 31), 2, date!(2024 - 12 - 01)),
            Ok(date!(2025 - 02 - 28))
        );
        assert_eq!(
            extended_due_date(date!(2024 - 03 - 31), 2, date!(2024 - 03 - 01)),
            Ok(date!(2024 - 05 - 31))
        );
        assert_eq!(
            extended_due_date(due, 3, date!(2024 - 02 - 01)),
            Err(ExtensionError::Months)
        );
        assert_eq!(
            extended_due_date(due, 0, date!(2024 - 02 - 01)),
            Err(ExtensionError::Months)
        );
        assert_eq!(
            extended_due_date(due, 1, date!(2024 - 03 - 01)),
            Err(ExtensionError::TooLate)
        );
    }

    #[test]
    fn every_transition_is_allowed_or_refused_as_the_status_machine_says() {
        use RequestStatus::*;
        type Step = fn(RequestStatus) -> Result<RequestStatus, TransitionError>;
        type Allowed = &'static [(RequestStatus, RequestStatus)];
        let steps: [(&str, Step, Allowed); 6] = [
            (
                "verify",
                RequestStatus::verify,
                &[(AwaitingVerification, Open)],
            ),
            ("start", RequestStatus::start, &[(Open, InProgress)]),
            (
                "extend",
                RequestStatus::extend,
                &[(Open, Extended), (InProgress, Extended)],
            ),
            (
                "complete",
                RequestStatus::complete,
                &[
                    (Open, Completed),
                    (InProgress, Completed),
                    (Extended, Completed),
                ],
            ),
            (
                "refuse",
                RequestStatus::refuse,
                &[(Open, Refused), (InProgress, Refused), (Extended, Refused)],
            ),
            (
                "withdraw",
                RequestStatus::withdraw,
                &[
                    (AwaitingVerification, Withdrawn),
                    (Open, Withdrawn),
                    (InProgress, Withdrawn),
                    (Extended, Withdrawn),
                ],
            ),
        ];
        let all = [
            AwaitingVerification,
            Open,
            InProgress,
            Extended,
            Completed,
            Refused,
            Withdrawn,
        ];
        for (name, step, allowed) in steps {
            for from in all {
                let expected = allowed.iter().find(|(f, _)| *f == from).map(|(_, to)| *to);
                match (step(from), expected) {
                    (Ok(to), Some(expected)) => assert_eq!(to, expected, "{name} from {from:?}"),
                    (Err(e), None) => assert_eq!(e.from, from),
                    (got, want) => panic!("{name} from {from:?}: got {got:?}, want {want:?}"),
                }
            }
        }
        assert!(Extended.extend().is_err(), "only one extension");
        assert!(
            all.iter()
                .filter(|s| s.is_closed())
                .all(|s| s.withdraw().is_err())
        );
    }

    #[test]
    fn there_are_nine_kinds_and_they_serialise_by_their_ids() {
        for kind in RightsRequestKind::ALL {
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod status_link_tests {
    use super::StatusLink;
    use proptest::prelude::*;
    use uuid::Uuid;

    proptest! {
        #[test]
        fn a_status_link_reads_back_whatever_else_the_fragment_holds(
            id in any::<u128>(),
            token in "[A-Za-z0-9_-]{1,64}",
            before in "[a-z=&#]{0,12}",
            after in "[a-z0-9=&]{0,12}",
        ) {
            let link = StatusLink { id: Uuid::from_u128(id), token };
            prop_assert_eq!(StatusLink::parse(&link.fragment()), Some(link.clone()));
            let fragment = format!("#{before}&{}&{after}", link.fragment());
            prop_assert_eq!(StatusLink::parse(&fragment), Some(link));
        }
    }

    #[test]
    fn a_fragment_without_both_parts_or_with_a_bad_one_is_no_link() {
        let id = Uuid::from_u128(0x0193_0000_7000_8000_0000_0000_0000_0001);
        for fragment in [
            String::new(),
            "#section-2".to_owned(),
            format!("#vp-request={id}"),
            "#vp-token=abc".to_owned(),
            "#vp-request=nope&vp-token=abc".to_owned(),
            format!("#vp-request={id}&vp-token=<script>"),
            format!("#vp-request={id}&vp-token="),
        ] {
            assert_eq!(StatusLink::parse(&fragment), None, "{fragment}");
        }
    }
}
