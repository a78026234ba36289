//! The availability area: GetUserAvailability, free/busy over the Calendar folders of the
//! mailboxes it names ([`crate::mailbox::freebusy`]).

pub mod get_user_availability;

/// The cases family of this area: `cases/availability/<operation>/`.
pub const FAMILY: &str = "availability";
