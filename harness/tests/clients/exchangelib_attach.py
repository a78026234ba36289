"""exchangelib scenarios of the attachment area (CreateAttachment, GetAttachment,
DeleteAttachment, attachments saved with CreateItem). Usage and output as in
exchangelib_scenarios.py; run by harness/tests/it/clients/attach.rs."""

import os
import sys

from exchangelib import FileAttachment, ItemAttachment, Message

from exchangelib_scenarios import account, main


def file_attachments(args):
    """Attach a file to a saved draft (CreateAttachment), save a second draft with an inline file
    (CreateItem with Attachments), read both back from a fresh fetch (content, size, inline, content
    id), then detach the first (DeleteAttachment) and fetch again."""
    acc = account(args)
    suffix = os.getpid()
    draft = Message(account=acc, folder=acc.drafts, subject=f"client attach {suffix}", body="see file")
    draft.save()
    key_before = draft.changekey
    payload = b"\x00\x01binary payload \xff" * 3
    draft.attach(FileAttachment(name="payload.bin", content=payload))
    key_after = draft.changekey
    inline = Message(account=acc, folder=acc.drafts, subject=f"client inline {suffix}")
    inline.attach(
        FileAttachment(name="logo.png", content=b"\x89PNG\r\n", is_inline=True, content_id=f"logo{suffix}")
    )
    inline.save()
    try:
        fetched, fetched_inline = acc.fetch(ids=[(draft.id, None), (inline.id, None)])
        first = fetched.attachments[0]
        logo = fetched_inline.attachments[0]
        result = {
            "changekey_moved": key_after != key_before,
            "has_attachments": fetched.has_attachments,
            "names": [a.name for a in fetched.attachments],
            "content_equal": first.content == payload,
            "size": first.size,
            "payload_len": len(payload),
            "is_inline": first.is_inline,
            "inline_saved_with_item": logo.attachment_id is not None,
            "inline_is_inline": logo.is_inline,
            "inline_content_id": logo.content_id,
            "expected_content_id": f"logo{suffix}",
            "inline_content_equal": logo.content == b"\x89PNG\r\n",
        }
        fetched.detach(first)
        again = list(acc.fetch(ids=[(draft.id, None)]))[0]
        result["after_detach"] = [a.name for a in again.attachments]
        result["has_attachments_after_detach"] = again.has_attachments
        return result
    finally:
        draft.delete()
        inline.delete()


def item_attachment(args):
    """Attach a message to a draft as an item attachment and read the attached message back."""
    acc = account(args)
    suffix = os.getpid()
    draft = Message(account=acc, folder=acc.drafts, subject=f"client carrier {suffix}")
    draft.save()
    try:
        inner = Message(subject=f"attached {suffix}", body="inner body")
        draft.attach(ItemAttachment(name="forwarded message", item=inner))
        fetched = list(acc.fetch(ids=[(draft.id, None)]))[0]
        attachment = fetched.attachments[0]
        attached = attachment.item
        return {
            "kind": type(attachment).__name__,
            "name": attachment.name,
            "item_kind": type(attached).__name__,
            "subject": attached.subject,
            "expected_subject": f"attached {suffix}",
            "body": str(attached.body),
        }
    finally:
        draft.delete()


SCENARIOS = {
    "file_attachments": file_attachments,
    "item_attachment": item_attachment,
}

if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
