//! SetImListMigrationCompleted: records whether the IM list has been migrated to the mailbox
//! (the docs mark the operation "not for public use"). Always succeeds, without payload.

use super::store::ImList;
use crate::faults::ResponseCode;
use crate::mailbox::Mailbox;
use crate::ops::{OpContext, Outcome, Response};
use crate::registry::{Handler, Request};
use crate::schema::RequestView;

/// The SetImListMigrationCompleted request, read from its validated body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetImListMigrationCompleted {
    pub completed: bool,
}

impl Handler for SetImListMigrationCompleted {
    const NAME: &'static str = "SetImListMigrationCompleted";
    const FAMILY: &'static str = super::FAMILY;
    const MINIMUM_VERSION: &'static str = "Exchange2013";
    const CODES: &'static [ResponseCode] = &[];

    fn view(request: &RequestView<'_>) -> Self {
        SetImListMigrationCompleted {
            completed: request.boolean("ImListMigrationCompleted"),
        }
    }
}

impl Request for SetImListMigrationCompleted {
    fn handle(&self, _ctx: &OpContext<'_>, mailbox: &mut Mailbox) -> Response {
        run(&mut mailbox.im, self.completed).into()
    }
}

fn run(store: &mut ImList, completed: bool) -> Outcome {
    store.migration_completed = completed;
    Ok(None)
}
