//! Acting on a rights request, the part of the request workflow that is not a status rule: the
//! officer's files checked into [`Attachment`]s, the export of what the server holds about the
//! requester (access and portability), every file sealed, and the action applied in one storage
//! call. Handlers parse the body, call [`act`] and render; they decide nothing here.

use privacy_shared::EmailAddress;
use privacy_shared::FieldError;
use privacy_shared::validate::{Base64, FileName, MediaType, ValidationError};
use privacy_shared::wire::NewAttachment;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::export::{self, ExportFile};
use crate::requests::{
    ActionRefused, AuditNote, Erasure, HistoryNote, RequestAction, StoredRequest, plan,
};
use crate::storage::{RequestChange, Storage, StorageError, StoredAttachment};
use crate::vault::Vault;
use privacy_shared::rights::{RequestStatus, RightsRequestKind};

/// The most files one answer may carry.
pub const MAX_ATTACHMENTS: usize = 20;

/// A file an officer attached, checked: a file name without a path, a media type such as
/// `application/pdf`, and the decoded content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    name: String,
    content_type: String,
    content: Vec<u8>,
}

impl Attachment {
    /// Checks every file of an answer; the errors name each failing field
    /// (`attachments[1].name`), and nothing is accepted unless all pass.
    pub fn parse_all(attached: Vec<NewAttachment>) -> Result<Vec<Self>, Vec<FieldError>> {
        if attached.len() > MAX_ATTACHMENTS {
            return Err(vec![FieldError::new(
                "attachments",
                "too_many",
                format!("at most {MAX_ATTACHMENTS} files"),
            )]);
        }
        let mut errors: Vec<FieldError> = Vec::new();
        let mut files = Vec::new();
        for (i, file) in attached.into_iter().enumerate() {
            let mut check = |field: &str, result: Result<(), ValidationError>| match result {
                Ok(()) => true,
                Err(e) => {
                    errors.push(FieldError::new(
                        format!("attachments[{i}].{field}"),
                        e.code(),
                        e.to_string(),
                    ));
                    false
                }
            };
            let name = check("name", FileName::parse(&file.name).map(drop));
            let content_type = check(
                "content_type",
                MediaType::parse(&file.content_type).map(drop),
            );
            let content = Base64::parse(&file.content_base64);
            let content_ok = check(
                "content_base64",
                content.as_ref().map(drop).map_err(Clone::clone),
            );
            if let (true, true, true, Ok(content)) = (name, content_type, content_ok, content) {
                files.push(Self {
                    name: file.name,
                    content_type: file.content_type,
                    content: content.decode(),
                });
            }
        }
        if errors.is_empty() {
            Ok(files)
        } else {
            Err(errors)
        }
    }
}

/// Why an action on a request did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("no such request")]
    NotFound,
    #[error(transparent)]
    Refused(ActionRefused),
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("an answer file cannot be sealed: {0}")]
    Seal(String),
}

/// The export of what the server holds about the requester of `request`.
pub async fn export_of(
    storage: &dyn Storage,
    request: &StoredRequest,
    now: OffsetDateTime,
) -> Result<Vec<ExportFile>, StorageError> {
    let person = storage
        .person_data(
            request.email.clone(),
            request.customer.clone(),
            request.subject,
        )
        .await?;
    Ok(export::files(&person, request.language, now))
}

/// A file before it is sealed: the officer's, or one of the export's.
struct Unsealed {
    name: String,
    content_type: String,
    content: Vec<u8>,
    export: bool,
}

/// Applies `action` to request `id` by `actor`, with the officer's `files` and, when an access
/// or portability request is completed, the export of what the server holds about the person,
/// every file sealed before it is stored.
pub async fn act(
    storage: &dyn Storage,
    vault: &Vault,
    id: Uuid,
    actor: EmailAddress,
    action: RequestAction,
    files: Vec<Attachment>,
    now: OffsetDateTime,
) -> Result<StoredRequest, ActError> {
    let mut unsealed: Vec<Unsealed> = files
        .into_iter()
        .map(|f| Unsealed {
            name: f.name,
            content_type: f.content_type,
            content: f.content,
            export: false,
        })
        .collect();
    let mut request = storage.request(id).await?.ok_or(ActError::NotFound)?;
    if matches!(action, RequestAction::Complete { .. }) && request.kind.includes_export() {
        unsealed.extend(
            export_of(storage, &request, now)
                .await?
                .into_iter()
                .map(|f| Unsealed {
                    name: f.name.to_owned(),
                    content_type: f.content_type.to_owned(),
                    content: f.content,
                    export: true,
                }),
        );
    }
    let sealed = unsealed
        .into_iter()
        .map(|file| {
            let id = Uuid::new_v4();
            let sealed = vault
                .seal(id, &file.content)
                .map_err(|e| ActError::Seal(e.to_string()))?;
            Ok(StoredAttachment {
                id,
                size: file.content.len() as u64,
                name: file.name,
                content_type: file.content_type,
                export: file.export,
                sealed,
            })
        })
        .collect::<Result<Vec<_>, ActError>>()?;
    // Decided from the request as read; when another officer changed it meanwhile, decided
    // again from what they left.
    for _ in 0..3 {
        let change = plan(request.clone(), &action, now.date()).map_err(ActError::Refused)?;
        let mut audit = vec![AuditNote {
            action: action.name(),
            detail: change.note.clone(),
        }];
        audit.extend(sealed.iter().map(|file| AuditNote {
            action: if file.export { "export" } else { "attach" },
            detail: Some(file.name.clone()),
        }));
        let done = &change.request;
        let erase = (done.kind == RightsRequestKind::Erasure
            && done.status == RequestStatus::Completed)
            .then(|| Erasure::of(done));
        let stored = storage
            .apply_request_change(RequestChange {
                id,
                from: request.status,
                history: HistoryNote {
                    status: done.status,
                    actor: actor.as_ref().to_owned(),
                    note: change.note.clone(),
                },
                to: change.request,
                email: change.email,
                attachments: sealed.clone(),
                actor: actor.clone(),
                audit,
                erase,
                at: now,
            })
            .await;
        match stored {
            Ok(Some(updated)) => return Ok(updated),
            Ok(None) => return Err(ActError::NotFound),
            Err(StorageError::Conflict(_)) => {
                request = storage.request(id).await?.ok_or(ActError::NotFound)?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(ActError::Storage(StorageError::Conflict(
        "the request kept changing; try again".into(),
    )))
}
