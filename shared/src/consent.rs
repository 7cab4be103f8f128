//! Consent as it travels between widget, server and proof (PRODUCT.md §5.5, §6.2): the subject, the
//! kind of event, the control that produced it, the choices and the receipt.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::str::FromStr;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::problem::FieldError;
use crate::{Language, PurposeId, SiteId, policy};

/// A random, pseudonymous id for one browser's consent (a UUID v4). It names no person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "Uuid", into = "Uuid")]
pub struct SubjectId(Uuid);

/// The id was not a random (version 4) UUID.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a subject id must be a random (version 4) UUID")]
pub struct InvalidSubjectId;

impl SubjectId {
    /// Builds a subject id from 16 random bytes (the caller's CSPRNG: `crypto.getRandomValues` in
    /// the browser, the OS generator on the server).
    pub fn from_random_bytes(bytes: [u8; 16]) -> Self {
        Self(uuid::Builder::from_random_bytes(bytes).into_uuid())
    }

    pub fn as_uuid(self) -> Uuid {
        self.0
    }
}

impl TryFrom<Uuid> for SubjectId {
    type Error = InvalidSubjectId;

    fn try_from(id: Uuid) -> Result<Self, Self::Error> {
        if id.get_version_num() == 4 {
            Ok(Self(id))
        } else {
            Err(InvalidSubjectId)
        }
    }
}

impl From<SubjectId> for Uuid {
    fn from(id: SubjectId) -> Self {
        id.0
    }
}

impl FromStr for SubjectId {
    type Err = InvalidSubjectId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::try_parse(s).map_err(|_| InvalidSubjectId)?.try_into()
    }
}

impl fmt::Display for SubjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a consent event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConsentKind {
    AcceptAll,
    RejectAll,
    Custom,
    Withdraw,
    Gpc,
    Expired,
}

impl ConsentKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AcceptAll => "accept_all",
            Self::RejectAll => "reject_all",
            Self::Custom => "custom",
            Self::Withdraw => "withdraw",
            Self::Gpc => "gpc",
            Self::Expired => "expired",
        }
    }
}

/// The control a consent event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ConsentSource {
    Banner,
    Preferences,
    Api,
    InterfaceSettings,
    Gpc,
}

impl ConsentSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Banner => "banner",
            Self::Preferences => "preferences",
            Self::Api => "api",
            Self::InterfaceSettings => "interface-settings",
            Self::Gpc => "gpc",
        }
    }
}

/// The state of each purpose: `true` is consent given.
pub type ConsentChoices = BTreeMap<PurposeId, bool>;

/// The purposes an event takes back: consent given before, refused now.
pub type Withdrawn = BTreeSet<PurposeId>;

/// `items` in a B-tree collection, inserted one by one (what `extend` does). `collect` into a
/// B-tree sorts the items first, and each element type it sorts adds a sort routine of about 3 KB
/// to the widget's WebAssembly (BENCHMARKS.md); these collections hold a few purposes, which
/// insertion takes as fast.
pub fn inserted<C: Default + Extend<T>, T>(items: impl IntoIterator<Item = T>) -> C {
    let mut collection = C::default();
    collection.extend(items);
    collection
}

/// Choices with every purpose of `site` granted (`true`) or every optional one refused (`false`).
pub fn uniform_choices(site: SiteId, granted: bool) -> ConsentChoices {
    inserted(
        site.site()
            .purposes
            .iter()
            .map(|&p| (p, granted || p.is_locked())),
    )
}

/// One decision about a site's purposes, with the notice it was made under: the fields every
/// consent message carries. Declared once and flattened into the request
/// ([`RecordConsent`], [`crate::wire::PutMeConsent`]), the recorded [`ConsentEvent`] with its
/// [`ConsentReceipt`], and the server's stored event whose canonical form the ledger hashes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentDecision {
    pub site: SiteId,
    pub kind: ConsentKind,
    pub source: ConsentSource,
    /// The state of every purpose the site shows.
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub choices: ConsentChoices,
    pub policy_version: String,
    pub language: Language,
    /// The notice hash of the policy text the person was shown (`policy_version` in `language`).
    pub notice_hash: String,
    /// Whether the browser sent a Global Privacy Control signal.
    #[serde(default)]
    pub gpc: bool,
    /// The purposes this decision takes back (consent given before, refused now); required for
    /// `withdraw`, where the other purposes keep the state they had.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    #[cfg_attr(feature = "openapi", schema(inline))]
    pub withdrawn: Withdrawn,
}

/// The body of `POST /api/v1/consents`: one change of a subject's consent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordConsent {
    /// Chosen by the client; a retry with the same key returns the first receipt.
    pub idempotency_key: Uuid,
    pub subject: SubjectId,
    #[serde(flatten)]
    pub decision: ConsentDecision,
}

impl RecordConsent {
    /// Checks what types alone cannot: the choices name exactly the purposes the site shows,
    /// `necessary` is on, the kind agrees with the choices and the withdrawn purposes, and the
    /// policy version is published. The server runs this before storing; the widget's events are
    /// built only by [`crate::engine`], whose property test proves they all pass it.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        self.decision.validate()
    }
}

impl ConsentDecision {
    /// A decision of `kind` with every purpose of `site` granted (accept all) or every optional one
    /// refused (any other kind), made under the current policy in `language`, without GPC: what
    /// an API client such as the interface app's settings sends for its `source`.
    pub fn uniform(
        site: SiteId,
        kind: ConsentKind,
        source: ConsentSource,
        language: Language,
    ) -> Self {
        let policy_version = policy::CURRENT_VERSION;
        Self {
            site,
            kind,
            source,
            choices: uniform_choices(site, kind == ConsentKind::AcceptAll),
            policy_version: policy_version.into(),
            language,
            notice_hash: policy::notice_hash(policy_version, language)
                .unwrap_or_default()
                .into(),
            gpc: false,
            withdrawn: Withdrawn::new(),
        }
    }

    /// See [`RecordConsent::validate`].
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = self.choice_errors();
        if !policy::is_known_version(&self.policy_version) {
            errors.push(FieldError::new(
                "policy_version",
                "unknown_policy_version",
                "no policy with this version was published",
            ));
        } else if policy::notice_hash(&self.policy_version, self.language)
            != Some(self.notice_hash.as_str())
        {
            errors.push(FieldError::new(
                "notice_hash",
                "unknown_notice_hash",
                "the notice hash is not that of the policy version in this language",
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// The rules of the kind, the choices and the withdrawn purposes on the site.
    fn choice_errors(&self) -> Vec<FieldError> {
        let (site, kind, choices, withdrawn) =
            (self.site, self.kind, &self.choices, &self.withdrawn);
        let mut errors = Vec::new();
        for (&purpose, &granted) in choices {
            if !site.shows(purpose) {
                errors.push(FieldError::new(
                    format!("choices.{purpose}"),
                    "purpose_not_on_site",
                    format!("site `{site}` does not show purpose `{purpose}`"),
                ));
            } else if purpose.is_locked() && !granted {
                errors.push(FieldError::new(
                    format!("choices.{purpose}"),
                    "necessary_is_locked",
                    "necessary processing cannot be refused",
                ));
            }
        }
        for &purpose in site.site().purposes {
            if !choices.contains_key(&purpose) {
                errors.push(FieldError::new(
                    format!("choices.{purpose}"),
                    "missing_purpose",
                    format!("the state of purpose `{purpose}` is missing"),
                ));
            }
        }
        for &purpose in withdrawn {
            if !site.shows(purpose) || purpose.is_locked() {
                errors.push(FieldError::new(
                    format!("withdrawn.{purpose}"),
                    "withdrawn_not_optional_on_site",
                    format!("`{purpose}` is not an optional purpose of site `{site}`"),
                ));
            } else if choices.get(&purpose) == Some(&true) {
                errors.push(FieldError::new(
                    format!("withdrawn.{purpose}"),
                    "withdrawn_still_granted",
                    format!("`{purpose}` is withdrawn but granted in the choices"),
                ));
            }
        }
        let optional = || choices.iter().filter(|(p, _)| !p.is_locked());
        let consistent = match kind {
            ConsentKind::AcceptAll => optional().all(|(_, &on)| on),
            ConsentKind::RejectAll | ConsentKind::Expired => {
                optional().all(|(_, &on)| !on) && withdrawn.is_empty()
            }
            ConsentKind::Withdraw => !withdrawn.is_empty(),
            ConsentKind::Custom | ConsentKind::Gpc => true,
        };
        if !consistent {
            errors.push(FieldError::new(
                "kind",
                "kind_contradicts_choices",
                format!(
                    "kind `{}` contradicts the choices or the withdrawn purposes",
                    kind.as_str()
                ),
            ));
        }
        errors
    }
}

/// One consent event as the ledger recorded it: the decision, whose it is, and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentEvent {
    pub event_id: Uuid,
    #[serde(with = "time::serde::rfc3339")]
    pub recorded_at: OffsetDateTime,
    pub subject: SubjectId,
    /// The customer, when a valid identity token came with the event.
    pub customer: Option<crate::CustomerNumber>,
    #[serde(flatten)]
    pub decision: ConsentDecision,
    /// After this moment the choice is stale and the person is asked again.
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
}

/// Proof of one recorded consent event: the event and its link in the ledger's hash chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentReceipt {
    #[serde(flatten)]
    pub event: ConsentEvent,
    /// The hash of the ledger event before this one (hex SHA-256; zeros for the first event).
    pub prev_hash: String,
    /// The hash of this event, chaining it to `prev_hash` (hex SHA-256).
    pub hash: String,
}

/// The answer of `GET /api/v1/subjects/{subject}/consent`: the latest state and every event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SubjectConsent {
    pub subject: SubjectId,
    pub latest: Option<ConsentReceipt>,
    /// Every event of this subject, oldest first.
    pub history: Vec<ConsentReceipt>,
}

#[cfg(test)]
mod tests {
    use super::*;

    // proptest is a native dev-dependency only.
    #[cfg(not(target_arch = "wasm32"))]
    proptest::proptest! {
        /// `inserted` builds what `collect` builds, a later duplicate key winning in both.
        #[test]
        fn inserted_is_collect(pairs in proptest::collection::vec(
            (proptest::sample::select(PurposeId::ALL.to_vec()), proptest::bool::ANY), 0..12)) {
            let map: ConsentChoices = inserted(pairs.clone());
            proptest::prop_assert_eq!(&map, &pairs.iter().copied().collect::<ConsentChoices>());
            let set: Withdrawn = inserted(pairs.iter().map(|(p, _)| *p));
            proptest::prop_assert_eq!(set, pairs.iter().map(|(p, _)| *p).collect::<Withdrawn>());
        }
    }

    fn body(kind: ConsentKind, choices: ConsentChoices) -> ConsentDecision {
        let site = "virtio-nl".parse().unwrap();
        ConsentDecision {
            choices,
            ..ConsentDecision::uniform(site, kind, ConsentSource::Banner, Language::Nl)
        }
    }

    fn codes(result: Result<(), Vec<FieldError>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|e| e.code)
            .collect()
    }

    #[test]
    fn uniform_choices_pass_validation() {
        let site = "virtio-nl".parse().unwrap();
        assert_eq!(
            body(ConsentKind::AcceptAll, uniform_choices(site, true)).validate(),
            Ok(())
        );
        assert_eq!(
            body(ConsentKind::RejectAll, uniform_choices(site, false)).validate(),
            Ok(())
        );
    }

    #[test]
    fn purposes_of_another_site_missing_purposes_and_refused_necessary_are_named() {
        let site = "virtio-nl".parse().unwrap();
        let mut choices = uniform_choices(site, false);
        choices.insert(PurposeId::Newsletter, false);
        choices.insert(PurposeId::Necessary, false);
        choices.remove(&PurposeId::Analytics);
        assert_eq!(
            codes(body(ConsentKind::Custom, choices).validate()),
            [
                "necessary_is_locked",
                "purpose_not_on_site",
                "missing_purpose"
            ]
        );
    }

    #[test]
    fn a_kind_that_contradicts_the_choices_is_refused() {
        let site = "virtio-nl".parse().unwrap();
        let mut wrong = body(ConsentKind::RejectAll, uniform_choices(site, true));
        assert_eq!(codes(wrong.validate()), ["kind_contradicts_choices"]);
        wrong.language = Language::En;
        assert_eq!(
            codes(wrong.validate()),
            ["kind_contradicts_choices", "unknown_notice_hash"]
        );
        wrong.policy_version = "1999-01-01".into();
        assert_eq!(
            codes(wrong.validate()),
            ["kind_contradicts_choices", "unknown_policy_version"]
        );
    }

    #[test]
    fn the_decision_travels_flat_in_the_request_and_the_receipt() {
        let site = "virtio-nl".parse().unwrap();
        let request = RecordConsent {
            idempotency_key: Uuid::from_u128(1),
            subject: SubjectId::from_random_bytes([7; 16]),
            decision: body(ConsentKind::AcceptAll, uniform_choices(site, true)),
        };
        let json = serde_json::to_value(&request).unwrap();
        assert_eq!(json["site"], "virtio-nl");
        assert_eq!(json["kind"], "accept_all");
        assert!(json.get("decision").is_none(), "{json}");
        assert_eq!(
            serde_json::from_value::<RecordConsent>(json.clone()).unwrap(),
            request
        );

        let mut extra = json;
        extra["ip"] = "203.0.113.9".into();
        let refused = serde_json::from_value::<RecordConsent>(extra).unwrap_err();
        assert!(
            refused.to_string().contains("unknown field `ip`"),
            "{refused}"
        );

        let receipt = ConsentReceipt {
            event: ConsentEvent {
                event_id: Uuid::from_u128(2),
                recorded_at: OffsetDateTime::UNIX_EPOCH,
                subject: request.subject,
                customer: None,
                decision: request.decision,
                expires_at: OffsetDateTime::UNIX_EPOCH,
            },
            prev_hash: "0".repeat(64),
            hash: "1".repeat(64),
        };
        let json = serde_json::to_value(&receipt).unwrap();
        assert_eq!(json["choices"]["analytics"], true);
        assert_eq!(json["customer"], serde_json::Value::Null);
        assert_eq!(
            serde_json::from_value::<ConsentReceipt>(json).unwrap(),
            receipt
        );
    }

    #[test]
    fn subject_ids_must_be_random_uuids() {
        assert!(
            "00000000-0000-1000-8000-000000000000"
                .parse::<SubjectId>()
                .is_err()
        );
        let id = SubjectId::from_random_bytes([0xab; 16]);
        assert_eq!(id.to_string().parse::<SubjectId>(), Ok(id));
        assert!(serde_json::from_str::<SubjectId>("\"not-a-uuid\"").is_err());
    }
}
