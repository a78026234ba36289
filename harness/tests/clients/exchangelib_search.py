"""exchangelib scenarios of the search area (FindItem): counting, paging, filtering, ordering
and field selection as exchangelib's QuerySet does them.

Usage: python3 exchangelib_search.py SCENARIO --url URL --user USER --address SMTP
(password from EWS_CLIENT_PASSWORD). Each scenario starts from a fresh mailbox's Inbox, creates
its own messages there and reports what exchangelib returned.
"""

import datetime
import sys

from exchangelib import EWSDateTime, Message, UTC

from exchangelib_scenarios import account, main


def _fill_inbox(acc, count):
    """`count` saved messages `msg 00` ... in the Inbox; every third is a `report`, created in
    reverse subject order so that no order but the requested one gives the expected pages."""
    items = []
    for i in reversed(range(count)):
        kind = "report" if i % 3 == 0 else "note"
        items.append(Message(account=acc, folder=acc.inbox, subject=f"msg {i:02d} {kind}", importance="High" if i % 2 else "Low"))
    for item in items:
        item.save()
    return count


def count_and_page(args):
    """inbox.all().count(), and slices of the subject-ordered list: [10:20] and the last five."""
    acc = account(args)
    created = _fill_inbox(acc, 25)
    ordered = acc.inbox.all().order_by("subject")
    return {
        "created": created,
        "count": acc.inbox.all().count(),
        "page": [m.subject for m in ordered[10:20]],
        "tail": [m.subject for m in ordered[20:]],
        "first": ordered[0].subject,
    }


def filter_and_order(args):
    """filter(subject__contains=...), filter(datetime_received__gt=...) before and after the
    messages arrived, order_by('-subject') and .only(...)."""
    acc = account(args)
    _fill_inbox(acc, 9)
    now = datetime.datetime.now(datetime.timezone.utc)
    hour_ago = EWSDateTime.from_datetime(now - datetime.timedelta(hours=1)).astimezone(UTC)
    in_an_hour = EWSDateTime.from_datetime(now + datetime.timedelta(hours=1)).astimezone(UTC)
    reports = acc.inbox.filter(subject__contains="report").order_by("subject")
    only = list(acc.inbox.all().order_by("-subject").only("subject", "importance")[:3])
    return {
        "reports": [m.subject for m in reports],
        "received_after_an_hour_ago": acc.inbox.filter(datetime_received__gt=hour_ago).count(),
        "received_in_an_hour": acc.inbox.filter(datetime_received__gt=in_an_hour).count(),
        "descending": [m.subject for m in acc.inbox.all().order_by("-subject")],
        "only": [[m.subject, m.importance, m.is_read] for m in only],
        "high_reports": [m.subject for m in acc.inbox.filter(subject__contains="report", importance="High")],
    }


SCENARIOS = {
    "count_and_page": count_and_page,
    "filter_and_order": filter_and_order,
}

if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
