//! SetImListMigrationCompleted: records whether the IM list has been migrated to the mailbox
//! (the docs mark the operation "not for public use"). Always succeeds, without payload.

use super::Outcome;
use crate::store::MailboxStore;

pub fn handle(store: &mut MailboxStore, completed: bool) -> Outcome {
    store.migration_completed = completed;
    Ok(None)
}
