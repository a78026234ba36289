//! The operations, grouped by area (`im/`; later `folders/`, `items/`, ...), one file each,
//! and what every handler gets: [`OpContext`] (configuration, directory, the mailbox acted on,
//! the request's version, id helpers) and its result type [`Outcome`].
//!
//! Adding an operation is one file under its area (its request view, its handler, the response
//! codes it can give: see [`Handler`](crate::registry::Handler)), its line in
//! [`REGISTRY`](crate::registry::REGISTRY) turned into `implemented::<Type>()`, and one cases
//! folder `cases/<family>/<snake_case_operation>/`.

pub mod im;

use super::ServerConfig;
use super::faults::{ResponseCode, ResponseError};
use super::ids::{self, IdKind, StoreId};
use super::mailbox::Directory;
use super::render::Node;
use super::schema::IdRef;

/// What a handler produces: the payload of a success, or a business error.
pub type Outcome = Result<Option<Node>, ResponseError>;

/// Everything a handler may use besides its mailbox.
pub struct OpContext<'a> {
    pub config: &'a ServerConfig,
    pub directory: &'a Directory,
    /// Index of the mailbox the request acts on (after impersonation).
    pub mailbox: usize,
    /// The request's `RequestServerVersion` (at least the operation's minimum by now).
    pub version: &'a str,
}

impl OpContext<'_> {
    pub fn mailbox_id(&self) -> u16 {
        u16::try_from(self.mailbox).unwrap_or(u16::MAX)
    }

    /// Id of an object in this mailbox.
    pub fn id(&self, kind: IdKind, seq: u32) -> String {
        ids::encode(StoreId {
            kind,
            mailbox: self.mailbox_id(),
            seq,
        })
    }

    /// Resolves a request id to a sequence number in this mailbox.
    ///
    /// `Id=""` → `ErrorInvalidIdEmpty`; an id that does not decode → `ErrorInvalidIdMalformed`;
    /// another mailbox's id → `ErrorNonExistentMailbox`; `not_found` is the code for a
    /// well-formed id of the wrong kind.
    pub fn resolve(
        &self,
        id: &IdRef,
        kind: IdKind,
        not_found: ResponseCode,
    ) -> Result<u32, ResponseError> {
        if id.id.is_empty() {
            return Err(ResponseError::new(ResponseCode::ErrorInvalidIdEmpty));
        }
        let Some(decoded) = ids::decode(&id.id) else {
            return Err(ResponseError::new(ResponseCode::ErrorInvalidIdMalformed));
        };
        if decoded.mailbox != self.mailbox_id() {
            return Err(ResponseError::non_existent_mailbox(ids::mailbox_guid(
                decoded.mailbox,
            )));
        }
        if decoded.kind != kind {
            return Err(ResponseError::new(not_found));
        }
        Ok(decoded.seq)
    }

    /// Like [`resolve`](Self::resolve) but for GetImItems, which ignores ids it cannot use.
    pub fn resolve_quietly(&self, id: &IdRef, kind: IdKind) -> Option<u32> {
        ids::decode(&id.id)
            .filter(|d| d.mailbox == self.mailbox_id() && d.kind == kind)
            .map(|d| d.seq)
    }
}
