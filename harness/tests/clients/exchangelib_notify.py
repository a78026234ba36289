"""exchangelib scenarios of the notification operations (Subscribe, GetEvents,
GetStreamingEvents, Unsubscribe) against the reference server; see exchangelib_scenarios.py for
the calling convention. Each scenario reports what exchangelib itself returns."""

import os
import sys

from exchangelib import Folder, Message

from exchangelib_scenarios import account, main


def _work_folder(acc, word):
    folder = Folder(parent=acc.inbox, name=f"client-notify-{word}-{os.getpid()}")
    folder.save()
    return folder


def _events(notifications):
    """The events of get_events' notifications (a generator: one per page while MoreEvents)."""
    return [
        {
            "type": type(event).__name__,
            "item_id": getattr(getattr(event, "item_id", None), "id", None),
            "parent_folder_id": getattr(getattr(event, "parent_folder_id", None), "id", None),
        }
        for notification in notifications
        for event in notification.events
    ]


def pull(args):
    """subscribe_to_pull on a work folder, create a message there, get_events sees its
    CreatedEvent; a second get_events from the returned watermark sees only a StatusEvent;
    unsubscribe, after which get_events fails with the client's error."""
    acc = account(args)
    folder = _work_folder(acc, "pull")
    try:
        subscription_id, watermark = folder.subscribe_to_pull(event_types=["CreatedEvent"], timeout=10)
        quiet = list(folder.get_events(subscription_id, watermark))
        message = Message(folder=folder, subject="pulled")
        message.save()
        first = list(folder.get_events(subscription_id, watermark))
        after = first[-1].events[-1].watermark
        second = list(folder.get_events(subscription_id, after))
        unsubscribed = folder.unsubscribe(subscription_id)
        try:
            list(folder.get_events(subscription_id, after))
            after_unsubscribe = "no error"
        except Exception as error:  # the client's own error class is the result
            after_unsubscribe = type(error).__name__
        return {
            "subscription_id": subscription_id,
            "quiet": _events(quiet),
            "first": _events(first),
            "first_previous_watermark": first[0].previous_watermark,
            "initial_watermark": watermark,
            "second": _events(second),
            "message_id": message.id,
            "folder_id": folder.id,
            "unsubscribed": unsubscribed,
            "after_unsubscribe": after_unsubscribe,
        }
    finally:
        folder.delete()


def streaming(args):
    """subscribe_to_streaming on the Inbox for NewMailEvent, send a message to oneself, and
    get_streaming_events returns a notification with its NewMailEvent; then unsubscribe."""
    acc = account(args)
    subscription_id = acc.inbox.subscribe_to_streaming(event_types=["NewMailEvent"])
    subject = f"client-notify-streamed-{os.getpid()}"
    Message(account=acc, subject=subject, to_recipients=[args.address]).send(save_copy=False)
    notifications = list(
        acc.inbox.get_streaming_events(subscription_id, connection_timeout=1, max_notifications_returned=1)
    )
    events = _events(notifications)
    unsubscribed = acc.inbox.unsubscribe(subscription_id)
    for event in events:
        if event["item_id"]:
            acc.bulk_delete(ids=[(event["item_id"], None)])
    return {
        "subscription_id": subscription_id,
        "notifications": len(notifications),
        "subscription_ids": [n.subscription_id for n in notifications],
        "events": events,
        "inbox_id": acc.inbox.id,
        "unsubscribed": unsubscribed,
    }


SCENARIOS = {"pull": pull, "streaming": streaming}

if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
