"""exchangelib scenarios against an EWS endpoint (the reference server in the project's tests).

Usage: python3 exchangelib_scenarios.py SCENARIO --url URL --user USER --password PASSWORD --address SMTP

Prints one JSON object on stdout: {"ok": true, ...results} when the scenario's own assertions
hold, or {"ok": false, "error_class": ..., "message": ...} with exchangelib's exception as the
client shows it to its user. The password comes from the environment (EWS_CLIENT_PASSWORD) when
--password is not given, so it never appears in a process listing.
"""

import argparse
import json
import os
import sys

import datetime

from exchangelib import (
    DELEGATE,
    UTC,
    Account,
    Build,
    CalendarItem,
    Configuration,
    Contact,
    Credentials,
    EWSDateTime,
    Folder,
    Mailbox,
    Message,
    Version,
)


def account(args, pinned=True):
    version = Version(build=Build(15, 0, 0, 0)) if pinned else None
    config = Configuration(
        service_endpoint=args.url,
        credentials=Credentials(args.user, args.password),
        auth_type="basic",
        version=version,
    )
    return Account(primary_smtp_address=args.address, config=config, autodiscover=False, access_type=DELEGATE)


def unimplemented_operation(args):
    """GetSearchableMailboxes, which the reference server does not implement: the user must read
    that the server does not implement it (not a version mismatch, no retries)."""
    acc = account(args)
    mailboxes = list(acc.protocol.get_searchable_mailboxes())
    return {"mailboxes": len(mailboxes)}


def folder_tree(args, pinned):
    """Walk the folder tree as a user browses it: the root's subtree, the inbox's counts and
    children, and a folder the scenario creates under the inbox (seen by both)."""
    acc = account(args, pinned=pinned)
    name = f"client-tree-{os.getpid()}"
    created = Folder(parent=acc.inbox, name=name)
    created.save()
    try:
        walked = [f.name for f in acc.root.walk()]
        acc.inbox.refresh()
        return {
            "version": acc.version.api_version,
            "build": str(acc.version.build),
            "walked": walked,
            "inbox_total_count": acc.inbox.total_count,
            "inbox_unread_count": acc.inbox.unread_count,
            "inbox_child_folder_count": acc.inbox.child_folder_count,
            "inbox_children": sorted(f.name for f in acc.inbox.children),
            "created": name,
            "root_class": type(acc.root).__name__,
            "calendar_class": type(acc.calendar).__name__,
        }
    finally:
        created.delete()


def folder_tree_guessed(args):
    """The default set-up: no version given, exchangelib guesses it with a ConvertId call."""
    return folder_tree(args, pinned=False)


def folder_tree_pinned(args):
    return folder_tree(args, pinned=True)


def folder_lifecycle(args):
    """Create a folder under the inbox, rename it, move it under a second one, delete both."""
    acc = account(args)
    suffix = os.getpid()
    target = Folder(parent=acc.inbox, name=f"client-target-{suffix}")
    target.save()
    folder = Folder(parent=acc.inbox, name=f"client-life-{suffix}")
    folder.save()
    created_id, created_ck = folder.id, folder.changekey
    folder.name = f"client-renamed-{suffix}"
    folder.save(update_fields=["name"])
    renamed_ck = folder.changekey
    folder.move(to_folder=target)
    fresh = {f.name: f for f in target.children}
    moved = fresh[f"client-renamed-{suffix}"]
    moved_parent = moved.parent.name if moved.parent else None
    target_children = sorted(fresh)
    moved_id = moved.id
    folder.delete()
    after_delete = [f.name for f in acc.inbox.children if f.name.endswith(str(suffix))]
    target.delete()
    return {
        "id_kept": moved_id == created_id,
        "changekey_moved_on_rename": renamed_ck != created_ck,
        "renamed": moved.name,
        "moved_parent": moved_parent,
        "target_children": target_children,
        "after_delete": after_delete,
        "suffix": suffix,
    }


def message_lifecycle(args):
    """Save three drafts with a body, recipients, importance and categories, read them back by
    id, soft-delete one, move one to Deleted Items, hard-delete the last; Drafts counts them."""
    acc = account(args)
    suffix = os.getpid()
    work = acc.drafts
    drafts = []
    for n in range(3):
        m = Message(
            account=acc,
            folder=work,
            subject=f"client draft {n} {suffix}",
            body=f"body {n}",
            importance="High",
            categories=["Finance"],
            to_recipients=[Mailbox(email_address="bob@contoso.com")],
        )
        m.save()
        drafts.append(m)
    fetched = list(acc.fetch(ids=[(d.id, d.changekey) for d in drafts]))
    first = fetched[0]
    first_ck = first.changekey
    first.subject = f"client updated {suffix}"
    first.is_read = True
    first.save(update_fields=["subject", "is_read"])
    updated = list(acc.fetch(ids=[(first.id, None)]))[0]
    work.refresh()
    total_before = work.total_count
    unread_before = work.unread_count
    ids = [d.id for d in drafts]
    drafts[0].soft_delete()
    drafts[1].move_to_trash()
    drafts[2].delete()
    work.refresh()
    total_after = work.total_count
    trashed = [(i.subject, i.parent_folder_id.id == acc.trash.id) for i in acc.fetch(ids=[(ids[1], None)])]
    gone = [type(i).__name__ for i in acc.fetch(ids=[(ids[0], None), (ids[2], None)])]
    for item in acc.fetch(ids=[(ids[1], None)]):
        item.delete()
    acc.trash.refresh()
    return {
        "subject": fetched[1].subject,
        "updated_subject": updated.subject,
        "updated_is_read": updated.is_read,
        "changekey_moved_on_update": updated.changekey != first_ck,
        "body": str(fetched[1].body),
        "importance": first.importance,
        "categories": first.categories,
        "is_draft": first.is_draft,
        "to": [r.email_address for r in first.to_recipients or []],
        "created_is_set": first.datetime_created is not None,
        "total_before": total_before,
        "unread_before": unread_before,
        "total_after": total_after,
        "trashed": trashed,
        "trash_total_at_end": acc.trash.total_count,
        "gone": gone,
        "suffix": suffix,
    }


def calendar_and_contact(args):
    """Create a calendar item and a contact, read them back, copy the meeting into a new
    calendar folder, move the contact, then delete everything."""
    acc = account(args)
    suffix = os.getpid()
    start = EWSDateTime(2026, 11, 2, 14, 0, tzinfo=UTC)
    meeting = CalendarItem(
        account=acc,
        folder=acc.calendar,
        subject=f"planning {suffix}",
        start=start,
        end=start + datetime.timedelta(hours=1),
        location="Room 721",
    )
    meeting.save()
    contact = Contact(
        account=acc, folder=acc.contacts, display_name=f"Dana Scully{suffix}", given_name="Dana", surname=f"Scully{suffix}"
    )
    contact.save()
    got_meeting = list(acc.fetch(ids=[(meeting.id, None)]))[0]
    got_contact = list(acc.fetch(ids=[(contact.id, None)]))[0]
    copy_id = meeting.copy(to_folder=acc.drafts)
    copies = list(acc.fetch(ids=[copy_id]))
    contact_id = contact.id
    contact.move(to_folder=acc.drafts)
    acc.drafts.refresh()
    drafts_total = acc.drafts.total_count
    deleted = []
    for item in acc.fetch(ids=[copy_id, (contact.id, None), (meeting.id, None)]):
        deleted.append(type(item).__name__)
        item.delete()
    acc.drafts.refresh()
    acc.calendar.refresh()
    return {
        "meeting_subject": got_meeting.subject,
        "meeting_start": got_meeting.start.isoformat(),
        "meeting_location": got_meeting.location,
        "contact_name": [got_contact.given_name, got_contact.surname],
        "copy_subjects": [c.subject for c in copies],
        "moved_got_new_id": contact.id not in (None, contact_id),
        "drafts_total_after_copy_and_move": drafts_total,
        "drafts_total_at_end": acc.drafts.total_count,
        "calendar_total_at_end": acc.calendar.total_count,
        "deleted": deleted,
        "suffix": suffix,
    }


def directory(args):
    """Look people and groups up as an address book does: a unique name, an ambiguous one (all
    candidates come back), full contact data, a name nobody has; expand a group and the group
    nested in it."""
    acc = account(args)
    protocol = acc.protocol

    def mailbox(m):
        return {"name": m.name, "email": m.email_address, "type": m.mailbox_type}

    unique = [mailbox(m) for m in protocol.resolve_names(names=["carol"])]
    ambiguous = [mailbox(m) for m in protocol.resolve_names(names=["a"])]
    full = list(protocol.resolve_names(names=["bob"], return_full_contact_data=True))
    _, contact = full[0]
    nobody = list(protocol.resolve_names(names=[f"zz-nobody-{os.getpid()}"]))
    staff = [mailbox(m) for m in protocol.expand_dl("all-staff@contoso.com")]
    nested = [mailbox(m) for m in protocol.expand_dl("engineering@contoso.com")]
    return {
        "unique": unique,
        "ambiguous": ambiguous,
        "full_display_name": contact.display_name,
        "full_given_name": contact.given_name,
        "full_surname": contact.surname,
        "full_source": contact.contact_source,
        "nobody": [type(r).__name__ for r in nobody],
        "staff": staff,
        "nested": nested,
    }


def oof_settings(args):
    """Read the default OOF settings, schedule OOF with both replies, read them back, disable."""
    from exchangelib import UTC, EWSDateTime, OofSettings

    acc = account(args)
    before = acc.oof_settings
    start = EWSDateTime(2090, 10, 5, 8, 0, tzinfo=UTC)
    end = EWSDateTime(2090, 10, 25, 17, 30, tzinfo=UTC)
    acc.oof_settings = OofSettings(
        state=OofSettings.SCHEDULED,
        external_audience="Known",
        internal_reply="Back on the 26th.",
        external_reply="Out & about.",
        start=start,
        end=end,
    )
    after = acc.oof_settings
    acc.oof_settings = OofSettings(state=OofSettings.DISABLED, external_audience="All")
    disabled = acc.oof_settings
    return {
        "before_state": before.state,
        "before_audience": before.external_audience,
        "state": after.state,
        "audience": after.external_audience,
        "internal_reply": after.internal_reply,
        "external_reply": after.external_reply,
        "start": after.start.isoformat(),
        "end": after.end.isoformat(),
        "disabled_state": disabled.state,
    }


SCENARIOS = {
    "oof_settings": oof_settings,
    "directory": directory,
    "unimplemented_operation": unimplemented_operation,
    "folder_tree_guessed": folder_tree_guessed,
    "folder_tree_pinned": folder_tree_pinned,
    "folder_lifecycle": folder_lifecycle,
    "message_lifecycle": message_lifecycle,
    "calendar_and_contact": calendar_and_contact,
}


def main(scenarios):
    """Runs the scenario named on the command line out of `scenarios` (name → function); the
    area scripts (`exchangelib_<area>.py`) call this with their own table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(scenarios))
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", default=os.environ.get("EWS_CLIENT_PASSWORD"))
    parser.add_argument("--address", required=True)
    args = parser.parse_args()
    try:
        result = scenarios[args.scenario](args)
    except Exception as error:  # the client's own error is the scenario's result
        print(json.dumps({"ok": False, "error_class": type(error).__name__, "message": str(error)}))
        return 0
    print(json.dumps({"ok": True, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
