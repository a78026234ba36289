//! ConvertId: converts each `t:AlternateId` of `m:SourceIds` to `DestinationFormat`, one
//! response message each, in order: `<m:AlternateId xsi:type="t:AlternateIdType" Format=..
//! Id=.. Mailbox=../>`. Formats and errors: see [`super`]. Public folder ids
//! (`t:AlternatePublicFolderId`, `t:AlternatePublicFolderItemId`) → `ErrorFolderNotFound`: the
//! server has no public folders.

use super::{IdFormat, decode, encode};
use crate::faults::{ResponseCode, ResponseError};
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::render::{Node, TYPES_NS};
use crate::schema::RequestView;

/// One source id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceId {
    Alternate {
        format: Option<IdFormat>,
        id: String,
        mailbox: String,
        is_archive: Option<String>,
    },
    PublicFolder,
}

/// The ConvertId request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertId {
    pub destination: Option<IdFormat>,
    pub sources: Vec<SourceId>,
}

impl Handler for ConvertId {
    const NAME: &'static str = "ConvertId";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2007_SP1";
    const CODES: &'static [ResponseCode] = &[
        ResponseCode::ErrorInvalidIdMalformed,
        ResponseCode::ErrorNonExistentMailboxAddress,
        ResponseCode::ErrorFolderNotFound,
    ];

    fn view(request: &RequestView<'_>) -> Self {
        let sources = request
            .element("SourceIds")
            .map(|s| {
                s.children
                    .iter()
                    .filter(|c| c.ns == TYPES_NS)
                    .map(|c| match c.local.as_str() {
                        "AlternateId" => SourceId::Alternate {
                            format: c.attr("Format").and_then(IdFormat::parse),
                            id: c.attr("Id").unwrap_or_default().to_string(),
                            mailbox: c.attr("Mailbox").unwrap_or_default().to_string(),
                            is_archive: c.attr("IsArchive").map(str::to_string),
                        },
                        _ => SourceId::PublicFolder,
                    })
                    .collect()
            })
            .unwrap_or_default();
        ConvertId {
            destination: request
                .body()
                .attr("DestinationFormat")
                .and_then(IdFormat::parse),
            sources,
        }
    }
}

impl Request for ConvertId {
    fn handle(&self, ctx: &OpContext<'_>, _mailbox: &mut Mailbox) -> Response {
        let outcomes = self
            .sources
            .iter()
            .map(|source| self.convert(ctx, source))
            .collect();
        Response::messages(outcomes)
    }
}

impl ConvertId {
    fn convert(&self, ctx: &OpContext<'_>, source: &SourceId) -> Outcome {
        let SourceId::Alternate {
            format,
            id,
            mailbox,
            is_archive,
        } = source
        else {
            return Err(ResponseError::new(ResponseCode::ErrorFolderNotFound));
        };
        let malformed = || ResponseError::new(ResponseCode::ErrorInvalidIdMalformed);
        let (Some(format), Some(destination)) = (format, self.destination) else {
            return Err(malformed());
        };
        let decoded = decode(id, *format).ok_or_else(malformed)?;
        let Some(user) = ctx.directory.user_by_smtp(mailbox) else {
            return Err(ResponseError::new(
                ResponseCode::ErrorNonExistentMailboxAddress,
            ));
        };
        if usize::from(decoded.mailbox) != user {
            return Err(malformed());
        }
        let mut node = Node::m("AlternateId")
            .attr("xsi:type", "t:AlternateIdType")
            .attr("xmlns:t", TYPES_NS)
            .attr("Format", destination.as_str())
            .attr("Id", encode(decoded, destination))
            .attr("Mailbox", mailbox.clone());
        if let Some(archive) = is_archive {
            node = node.attr("IsArchive", archive.clone());
        }
        Ok(Some(node))
    }
}
