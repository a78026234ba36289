"""exchangelib scenarios of sending: a message sent and saved reaches another mailbox, a saved
draft sent later, MIME content read back and a message created from MIME content. Each scenario
prints what exchangelib itself reports (counts, fields, the parsed MIME headers)."""

import argparse
import email
import email.policy
import sys
import time
import uuid

from exchangelib import Mailbox, Message
from exchangelib.errors import ErrorItemNotFound

from exchangelib_scenarios import account, main

# The reference server's second default user: user name `bob`, password `<name>-password`.
BOB = {"user": "bob", "password": "bob-password", "address": "bob@contoso.com"}


def bob_account(args):
    bob = argparse.Namespace(**{**vars(args), **BOB})
    return account(bob)


def counts(folder):
    folder.refresh()
    return folder.total_count, folder.unread_count


def wait_for_count(folder, above, within=10.0):
    """The folder's (total, unread) once its total exceeds `above` (delivery may be asynchronous)."""
    deadline = time.monotonic() + within
    while True:
        total, unread = counts(folder)
        if total > above or time.monotonic() > deadline:
            return total, unread
        time.sleep(0.2)


def send_and_save(args):
    """alice sends bob a message with send_and_save(): bob's Inbox gets it unread, alice's Sent
    Items keeps it."""
    alice, bob = account(args), bob_account(args)
    inbox_before = counts(bob.inbox)
    sent_before = counts(alice.sent)
    subject = f"Send and save {uuid.uuid4().hex[:8]}"
    message = Message(
        account=alice,
        folder=alice.sent,
        subject=subject,
        body="Hello Bob",
        to_recipients=[Mailbox(email_address=BOB["address"])],
    )
    message.send_and_save()
    inbox_after = wait_for_count(bob.inbox, inbox_before[0])
    sent_after = counts(alice.sent)
    return {
        "inbox_before": list(inbox_before),
        "inbox_after": list(inbox_after),
        "sent_before": list(sent_before),
        "sent_after": list(sent_after),
    }


def send_draft(args):
    """alice saves a draft to bob, then sends it: the draft leaves Drafts (its id is gone), Sent
    Items has it, bob's Inbox gets it."""
    alice, bob = account(args), bob_account(args)
    inbox_before = counts(bob.inbox)
    drafts_before = counts(alice.drafts)
    sent_before = counts(alice.sent)
    draft = Message(
        account=alice,
        folder=alice.drafts,
        subject=f"Draft {uuid.uuid4().hex[:8]}",
        body="Written first, sent later",
        to_recipients=[Mailbox(email_address=BOB["address"])],
    )
    draft.save()
    draft_id, draft_changekey = draft.id, draft.changekey
    saved = alice.drafts.get(id=draft_id, changekey=draft_changekey)
    drafts_saved = counts(alice.drafts)
    draft.send()
    try:
        alice.drafts.get(id=draft_id, changekey=draft_changekey)
        draft_after_send = "found"
    except ErrorItemNotFound as error:
        draft_after_send = type(error).__name__
    return {
        "saved_is_draft": saved.is_draft,
        "drafts_before": drafts_before[0],
        "drafts_saved": drafts_saved[0],
        "drafts_after": counts(alice.drafts)[0],
        "sent_before": sent_before[0],
        "sent_after": counts(alice.sent)[0],
        "inbox_before": inbox_before[0],
        "inbox_after": wait_for_count(bob.inbox, inbox_before[0])[0],
        "draft_after_send": draft_after_send,
    }


def mime_round_trip(args):
    """A message saved with exchangelib, its mime_content read back and parsed with Python's email
    package; then a message created from MIME content, its fields read back."""
    alice = account(args)
    subject = f"MIME {uuid.uuid4().hex[:8]}"
    saved = Message(
        account=alice,
        folder=alice.drafts,
        subject=subject,
        body="Plain words",
        to_recipients=[Mailbox(name="Bob Kelly", email_address=BOB["address"])],
        cc_recipients=[Mailbox(email_address="carol@contoso.com")],
        importance="High",
    )
    saved.save()
    fetched = alice.drafts.get(id=saved.id)
    parsed = email.message_from_bytes(fetched.mime_content, policy=email.policy.default)
    body_part = parsed.get_body(preferencelist=("plain", "html"))
    raw = (
        "From: Alice Wilson <alice@contoso.com>\r\n"
        "To: Bob Kelly <bob@contoso.com>\r\n"
        f"Subject: From MIME {subject}\r\n"
        "Date: Thu, 05 Jan 2012 23:06:58 +0000\r\n"
        "Message-ID: <mime-scenario@contoso.com>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Made from MIME\r\n"
    ).encode()
    created = Message(account=alice, folder=alice.drafts, mime_content=raw)
    created.save()
    read = alice.drafts.get(id=created.id)
    result = {
        "mime_subject": str(parsed["subject"]),
        "mime_to": str(parsed["to"]),
        "mime_cc": str(parsed["cc"]),
        "mime_importance": str(parsed["importance"]),
        "mime_body": body_part.get_content().strip() if body_part else None,
        "mime_charset": body_part.get_content_charset() if body_part else None,
        "subject": subject,
        "created_subject": read.subject,
        "created_body": str(read.body).strip(),
        "created_to": [m.email_address for m in read.to_recipients or []],
        "created_from": read.author.email_address if read.author else None,
        "created_message_id": read.message_id,
        "created_sent": read.datetime_sent.isoformat() if read.datetime_sent else None,
    }
    saved.delete()
    created.delete()
    return result


SCENARIOS = {
    "send_and_save": send_and_save,
    "send_draft": send_draft,
    "mime_round_trip": mime_round_trip,
}

if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
