"""exchangelib scenarios of the sync area: Folder.sync_items() and Folder.sync_hierarchy().

Usage: python3 exchangelib_sync.py SCENARIO --url URL --user USER --address SMTP (see
exchangelib_scenarios.py). Each scenario reports the changes exchangelib yields, as
[change type, subject or name] pairs (a deleted object's id is reported as the name it had).
"""

import os
import sys

from exchangelib import Folder, Message
from exchangelib.services import SyncFolderItems

from exchangelib_scenarios import account, main


def counting_pages():
    """Counts the SyncFolderItems requests exchangelib sends (one per page)."""
    calls = []
    original = SyncFolderItems.call

    def call(self, *args, **kwargs):
        calls.append(kwargs.get("max_changes_returned"))
        return original(self, *args, **kwargs)

    SyncFolderItems.call = call
    return calls


def item_changes(folder, names, **kwargs):
    """One sync_items() run (all its pages) as [type, subject] pairs; `names` maps item ids to
    subjects for deletes (which carry only the id)."""
    out = []
    for change_type, item in folder.sync_items(only_fields=["subject", "is_read"], **kwargs):
        if change_type == "delete":
            out.append([change_type, names.get(item.id, item.id)])
        elif change_type == "read_flag_change":
            item_id, is_read = item
            out.append([change_type, names.get(item_id.id, item_id.id), is_read])
        else:
            names[item.id] = item.subject
            out.append([change_type, item.subject])
    return out


def items(args):
    """Sync a folder of five in pages of two, then after a create, an update, a read-flag change
    and a delete, then once more; finally from the first state again."""
    acc = account(args)
    folder = Folder(parent=acc.inbox, name=f"client-sync-items-{os.getpid()}")
    folder.save()
    try:
        messages = []
        for i in range(5):
            message = Message(folder=folder, subject=f"m{i}", is_read=False)
            message.save()
            messages.append(message)
        names = {m.id: m.subject for m in messages}
        pages = counting_pages()
        initial = item_changes(folder, names, max_changes_returned=2)
        initial_pages = list(pages)
        first_state = folder.item_sync_state

        created = Message(folder=folder, subject="m5", is_read=False)
        created.save()
        names[created.id] = "m5"
        messages[0].subject = "m0 renamed"
        messages[0].save(update_fields=["subject"])
        names[messages[0].id] = "m0 renamed"
        messages[1].is_read = True
        messages[1].save(update_fields=["is_read"])
        messages[2].delete()

        del pages[:]
        after_changes = item_changes(folder, names, max_changes_returned=2)
        after_pages = list(pages)
        final = item_changes(folder, names)
        from_first = item_changes(folder, names, sync_state=first_state)
        return {
            "initial": initial,
            "initial_pages": initial_pages,
            "after_changes": after_changes,
            "after_pages": after_pages,
            "final": final,
            "from_first_state": from_first,
        }
    finally:
        folder.delete()


def folder_changes(parent, names):
    """One sync_hierarchy() run as [type, name] pairs."""
    out = []
    for change_type, folder in parent.sync_hierarchy():
        if change_type == "delete":
            out.append([change_type, names.get(folder.id, folder.id)])
        else:
            names[folder.id] = folder.name
            out.append([change_type, folder.name])
    return out


def hierarchy(args):
    """Sync a new folder's subtree: empty, two subfolders created, one renamed, one deleted, then
    nothing."""
    acc = account(args)
    parent = Folder(parent=acc.inbox, name=f"client-sync-hierarchy-{os.getpid()}")
    parent.save()
    try:
        names = {}
        empty = folder_changes(parent, names)
        alpha = Folder(parent=parent, name="alpha")
        alpha.save()
        beta = Folder(parent=parent, name="beta")
        beta.save()
        created = folder_changes(parent, names)
        alpha.name = "alpha renamed"
        alpha.save(update_fields=["name"])
        renamed = folder_changes(parent, names)
        beta.delete()
        deleted = folder_changes(parent, names)
        final = folder_changes(parent, names)
        return {
            "empty": empty,
            "created": created,
            "renamed": renamed,
            "deleted": deleted,
            "final": final,
        }
    finally:
        parent.delete()


SCENARIOS = {
    "items": items,
    "hierarchy": hierarchy,
}

if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
