"""exchangelib scenarios of the availability and settings area: free/busy of two mailboxes over
calendar items the scenario creates (`protocol.get_free_busy_info`), the account's delegates, and
inbox rules.

Usage: python3 exchangelib_avail.py SCENARIO --url URL --user USER --address SMTP (see
exchangelib_scenarios.py for the output and the password).
"""

import datetime
import os
import sys

from exchangelib import UTC, CalendarItem, EWSDateTime, EWSTimeZone, Message
from exchangelib.properties import Actions, Conditions, Rule

from exchangelib_scenarios import account, main


def free_busy(args, zone=UTC):
    """Alice creates two appointments (busy 09:00-10:00, tentative 11:00-11:30 UTC on a day of
    2031), then asks `protocol.get_free_busy_info` for herself (Organizer) and bob (Required; he
    has none there) over 08:00-12:00 UTC, the window given in `zone`, merged by the half hour.
    exchangelib first asks GetServerTimeZones for the definition of the window's zone and sends
    it as the request's TimeZone; what the client parses is the result."""
    acc = account(args)
    day = EWSDateTime(2031, 4, 7, 8, 0, tzinfo=UTC).astimezone(zone)
    tag = f"fb-{os.getpid()}"
    items = [
        CalendarItem(account=acc, folder=acc.calendar, subject=f"{tag} busy", start=day + datetime.timedelta(hours=1),
                     end=day + datetime.timedelta(hours=2), legacy_free_busy_status="Busy"),
        CalendarItem(account=acc, folder=acc.calendar, subject=f"{tag} maybe", start=day + datetime.timedelta(hours=3),
                     end=day + datetime.timedelta(hours=3, minutes=30), legacy_free_busy_status="Tentative"),
    ]
    for item in items:
        item.save()
    try:
        views = list(
            acc.protocol.get_free_busy_info(
                accounts=[(acc, "Organizer", False), ("bob@contoso.com", "Required", False)],
                start=day,
                end=day + datetime.timedelta(hours=4),
                merged_free_busy_interval=30,
                requested_view="DetailedMerged",
            )
        )
    finally:
        for item in items:
            item.delete()
    out = []
    for view in views:
        if isinstance(view, Exception):
            out.append({"error": type(view).__name__, "message": str(view)})
            continue
        out.append({
            "view_type": view.view_type,
            "merged": view.merged,
            "events": [
                {
                    "start": e.start.astimezone(UTC).isoformat(),
                    "end": e.end.astimezone(UTC).isoformat(),
                    "busy_type": e.busy_type,
                    "subject": e.details.subject if e.details else None,
                }
                for e in (view.calendar_events or [])
            ],
            "working_days": [list(p.weekdays) for p in (view.working_hours or [])],
        })
    return {"views": out, "tag": tag, "window_start": day.isoformat()}


def free_busy_copenhagen(args):
    """`free_busy` with the window in Europe/Copenhagen (daylight time in April, UTC+2), which
    exchangelib sends as the server's Romance Standard Time definition."""
    return free_busy(args, zone=EWSTimeZone("Europe/Copenhagen"))


def delegates(args):
    """The account's delegates as exchangelib reads them (the test adds bob beforehand)."""
    acc = account(args)
    return {
        "delegates": [
            {
                "address": d.user_id.primary_smtp_address,
                "display_name": d.user_id.display_name,
                "calendar": d.delegate_permissions.calendar_folder_permission_level,
                "inbox": d.delegate_permissions.inbox_folder_permission_level,
                "view_private_items": d.view_private_items,
            }
            for d in acc.delegates
        ]
    }


def rules(args):
    """Create an inbox rule, read it back, send oneself a matching message (the rule marks it
    read and moves it to Junk: Junk gains one read item) and an unrelated one (it stays in the
    Inbox), change the rule, then delete it. Folder counts, as the server has no FindItem yet."""
    acc = account(args)
    tag = f"rule-{os.getpid()}"
    rule = Rule(
        display_name=f"{tag} to junk",
        priority=1,
        is_enabled=True,
        conditions=Conditions(contains_subject_strings=[tag]),
        actions=Actions(move_to_folder=acc.junk, mark_as_read=True, mark_importance="High"),
    )
    acc.junk.refresh()
    acc.inbox.refresh()
    before = (acc.junk.total_count, acc.junk.unread_count, acc.inbox.total_count)
    acc.create_rule(rule)
    created = [(r.display_name, r.priority, r.is_enabled, list(r.conditions.contains_subject_strings or []))
               for r in acc.rules]
    Message(account=acc, subject=f"{tag} offer", to_recipients=[acc.primary_smtp_address]).send()
    Message(account=acc, subject="unrelated", to_recipients=[acc.primary_smtp_address]).send()
    acc.junk.refresh()
    acc.inbox.refresh()
    after = (acc.junk.total_count, acc.junk.unread_count, acc.inbox.total_count)
    rule.display_name = f"{tag} renamed"
    rule.is_enabled = False
    acc.set_rule(rule)
    changed = [(r.display_name, r.is_enabled) for r in acc.rules]
    acc.delete_rule(rule)
    left = [r.display_name for r in acc.rules]
    return {
        "created": created,
        "junk_total_unread_inbox_total_before": before,
        "junk_total_unread_inbox_total_after": after,
        "changed": changed,
        "left": left,
        "tag": tag,
    }


SCENARIOS = {
    "free_busy": free_busy,
    "free_busy_copenhagen": free_busy_copenhagen,
    "delegates": delegates,
    "rules": rules,
}

if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
