"""Print the emails and SMS the local mock AWS server has "sent", newest last.

    .venv/bin/python -m scripts.sent_messages [--endpoint URL] [--json] [--last N]

The endpoint defaults to $REBOOK_AWS_ENDPOINT, else the mock server of the stack running
from .local/ ($REBOOK_AWS_PORT, or the port that stack was started on), else port 5005.
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from chalicelib.api.dev_messages import MessagesUnavailable, fetch_sent


def default_endpoint() -> str:
    if os.environ.get("REBOOK_AWS_ENDPOINT"):
        return os.environ["REBOOK_AWS_ENDPOINT"]
    from scripts.local_stack import local_ports

    return f"http://127.0.0.1:{local_ports()[2]}"


def timeline(sent: dict) -> list[dict]:
    """Emails and SMS in one list, oldest first, each tagged with its channel."""
    items = [{"channel": "email", **m} for m in sent["emails"]]
    items += [{"channel": "sms", **m} for m in sent["sms"]]
    return sorted(items, key=lambda m: m.get("seq", 0))  # stable: ties keep emails first


def format_message(m: dict) -> str:
    to = m["to"] if isinstance(m["to"], str) else ", ".join(m["to"] or [])
    lines = [f"=== {m['channel'].upper()}  {m.get('timestamp') or ''}".rstrip(), f"To:      {to}"]
    if m["channel"] == "email":
        lines += [f"From:    {m.get('from') or ''}", f"Subject: {m.get('subject') or ''}"]
        if m.get("attachments"):
            lines.append(f"Attached: {', '.join(m['attachments'])}")
    lines += ["", (m.get("text") or "").rstrip(), ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Show messages sent through the local mock AWS server.")
    parser.add_argument("--endpoint", default=None, help="the mock AWS server (default: the running stack's)")
    parser.add_argument("--json", action="store_true", help="print the parsed messages as JSON")
    parser.add_argument("--last", type=int, metavar="N", help="only the N newest messages")
    args = parser.parse_args(argv)
    args.endpoint = args.endpoint or default_endpoint()

    try:
        messages = timeline(fetch_sent(args.endpoint))
    except MessagesUnavailable as exc:
        print(f"{exc}\nIs the local stack running? Start it with `make run`.", file=sys.stderr)
        return 1
    if args.last is not None:
        messages = messages[-args.last :] if args.last > 0 else []
    if args.json:
        print(json.dumps(messages, indent=2, ensure_ascii=False))
    elif not messages:
        print(f"No messages sent yet ({args.endpoint}).")
    else:
        print("\n".join(format_message(m) for m in messages))
    return 0


if __name__ == "__main__":
    sys.exit(main())
