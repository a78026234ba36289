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

from exchangelib import DELEGATE, Account, Build, Configuration, Credentials, Version


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


SCENARIOS = {
    "unimplemented_operation": unimplemented_operation,
}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("scenario", choices=sorted(SCENARIOS))
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", default=os.environ.get("EWS_CLIENT_PASSWORD"))
    parser.add_argument("--address", required=True)
    args = parser.parse_args()
    try:
        result = SCENARIOS[args.scenario](args)
    except Exception as error:  # the client's own error is the scenario's result
        print(json.dumps({"ok": False, "error_class": type(error).__name__, "message": str(error)}))
        return 0
    print(json.dumps({"ok": True, **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
