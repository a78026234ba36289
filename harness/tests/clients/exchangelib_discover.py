"""exchangelib scenarios of the discover area: Autodiscover (SOAP GetUserSettings), server time
zones and room lists, as exchangelib's own calls do them.

Usage: python3 exchangelib_discover.py SCENARIO --url URL --user USER --address SMTP
(password from EWS_CLIENT_PASSWORD). `--url` is the EWS URL of the reference server; the
Autodiscover endpoint is `/autodiscover/autodiscover.svc` at its origin.
"""

import sys
from urllib.parse import urlsplit

from exchangelib import DELEGATE, Account, Configuration, Credentials, EWSTimeZone
from exchangelib.autodiscover import AutodiscoverProtocol, clear_cache
from exchangelib.autodiscover.cache import autodiscover_cache

from exchangelib_scenarios import account, main


def _autodiscover_url(args):
    parts = urlsplit(args.url)
    return f"{parts.scheme}://{parts.netloc}/Autodiscover/Autodiscover.svc"


def autodiscover(args):
    """Account(autodiscover=True): exchangelib's supported way to start from a known Autodiscover
    endpoint is its cache (domain, credentials) → AutodiscoverProtocol; from there it sends
    GetUserSettings and builds its EWS protocol from ExternalEwsUrl and EwsSupportedSchemas.
    The EWS URL found is then used for real (the inbox's counts)."""
    credentials = Credentials(args.user, args.password)
    domain = args.address.split("@")[1]
    clear_cache()
    autodiscover_cache[(domain, credentials)] = AutodiscoverProtocol(
        config=Configuration(service_endpoint=_autodiscover_url(args), credentials=credentials, auth_type="basic")
    )
    try:
        acc = Account(primary_smtp_address=args.address, credentials=credentials, autodiscover=True, access_type=DELEGATE)
        acc.protocol.config.auth_type = "basic"
        ad = acc.ad_response
        return {
            "ews_url": acc.protocol.service_endpoint,
            "version": acc.version.api_version,
            "smtp_address": ad.autodiscover_smtp_address,
            "display_name": ad.user_settings.get("user_display_name"),
            "inbox_total_count": acc.inbox.total_count,
        }
    finally:
        clear_cache()


def unknown_user(args):
    """GetUserSettings for an address without a mailbox: exchangelib raises the error the
    InvalidUser response maps to."""
    credentials = Credentials(args.user, args.password)
    protocol = AutodiscoverProtocol(
        config=Configuration(service_endpoint=_autodiscover_url(args), credentials=credentials, auth_type="basic")
    )
    response = protocol.get_user_settings(user="nobody@" + args.address.split("@")[1])
    response.raise_errors()
    return {"error_code": response.error_code}


def timezones(args):
    """protocol.get_timezones(): every zone by name, then the full definition of Pacific time
    (exchangelib maps America/Los_Angeles to its Windows id itself)."""
    acc = account(args)
    names = {tz.id: tz.name for tz in acc.protocol.get_timezones()}
    (pacific,) = list(
        acc.protocol.get_timezones(timezones=[EWSTimeZone("America/Los_Angeles")], return_full_timezone_data=True)
    )
    return {
        "count": len(names),
        "has_utc": "UTC" in names,
        "pacific_id": pacific.id,
        "pacific_biases_minutes": [int(p.bias.total_seconds() // 60) for p in pacific.periods],
        "pacific_period_names": [p.name for p in pacific.periods],
        "pacific_groups": len(pacific.transitions_groups),
    }


def rooms(args):
    """protocol.get_roomlists() and protocol.get_rooms(first list)."""
    acc = account(args)
    lists = list(acc.protocol.get_roomlists())
    rooms = list(acc.protocol.get_rooms(lists[0].email_address))
    return {
        "room_lists": [r.email_address for r in lists],
        "rooms": [r.email_address for r in rooms],
        "room_names": [r.name for r in rooms],
    }


SCENARIOS = {
    "autodiscover": autodiscover,
    "unknown_user": unknown_user,
    "timezones": timezones,
    "rooms": rooms,
}

if __name__ == "__main__":
    sys.exit(main(SCENARIOS))
