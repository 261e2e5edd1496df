"""Rebook's command line: set up tables and load business configuration.

    python -m scripts.rebook_cli create-table
    python -m scripts.rebook_cli validate-business config/businesses/demo.yaml
    python -m scripts.rebook_cli load-business config/businesses/demo.yaml
    python -m scripts.rebook_cli export-business demo > demo-now.yaml
    python -m scripts.rebook_cli run-job send_due --now "tomorrow 08:00"
    python -m scripts.rebook_cli run-scheduler
    python -m scripts.rebook_cli owner-token demo [--role staff --staff aino]

Reads the same environment as the app (REBOOK_TABLE, REBOOK_DYNAMODB_ENDPOINT, ...).
With REBOOK_STAGE unset it talks to the local stack that `make run` started (default
ports); set REBOOK_STAGE=dev or prod, and AWS credentials, to work on AWS instead.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path


def read_config_file(path: str):
    """Parse and validate a YAML or JSON business file; exit 2 with every error listed."""
    from pydantic import ValidationError

    from chalicelib.domain.config import format_validation_error, parse_business_config

    file = Path(path)
    if not file.is_file():
        sys.exit(f"error: no such file: {path}")
    try:
        text = file.read_text(encoding="utf-8-sig")  # a byte-order mark (Notepad's) is no error
    except UnicodeDecodeError as e:
        sys.exit(
            f"error: {path} is not UTF-8 (byte {e.start}): save it as UTF-8 (Latin-1 and Windows-1252 are not read)"
        )
    try:
        if file.suffix.lower() == ".json":
            data = json.loads(text, object_pairs_hook=_no_repeated_keys)
        else:
            import yaml

            data = yaml.load(text, Loader=_yaml_loader())  # a SafeLoader that refuses repeated keys
    except Exception as e:  # YAML and JSON errors both carry line numbers
        sys.exit(f"error: {path} is not valid {'JSON' if file.suffix.lower() == '.json' else 'YAML'}:\n  {e}")
    if not isinstance(data, dict):
        sys.exit(f"error: {path} must contain a mapping of business settings")
    try:
        return parse_business_config(data, typed=True)
    except ValidationError as e:
        problems = format_validation_error(e)
        lines = "\n".join(f"  - {line}" for line in problems)
        print(f"error: {path} has {len(problems)} problem(s):\n{lines}", file=sys.stderr)
        sys.exit(2)


def _no_repeated_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    """A JSON object, refused if it names a key twice (the last would win unseen)."""
    seen: dict[str, object] = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"the key '{key}' is given twice in one object")
        seen[key] = value
    return seen


def _yaml_loader():
    """YAML's SafeLoader, refusing a key given twice in one mapping: plain YAML lets the
    last win, so a second `closures:` block appended to a file dropped the first unseen."""
    import yaml
    from yaml.constructor import ConstructorError

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node, deep=False):
            keys = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *anchor`: its keys are defaults the mapping's own may override
                key = self.construct_object(key_node, deep=True)
                if key in keys:
                    raise ConstructorError(
                        None, None, f"the key '{key}' is given twice in one mapping", key_node.start_mark
                    )
                keys.add(key)
            return super().construct_mapping(node, deep)

    return Loader


def cmd_create_table(_args) -> None:
    from chalicelib import clock
    from chalicelib.jobs.schedule import start_on_a_new_table
    from chalicelib.settings import get_settings
    from chalicelib.store.db import create_table

    created = create_table()
    if created:
        start_on_a_new_table(clock.now())
    print(f"table {get_settings().table_name}: {'created' if created else 'already exists'}")


def unknown_images(cfg) -> list[str]:
    """The `cover`, `logo` and `photo` names the image set (chalicelib/static/img/
    manifest.json) does not have: the page would show no image there."""
    from chalicelib.pages.media import manifest

    named = [("shop.cover", cfg.shop.cover), ("shop.logo", cfg.shop.logo)]
    named += [(f"staff[{i}].photo", s.photo) for i, s in enumerate(cfg.staff)]
    have = manifest()
    return [
        f"{where}: no image '{name}' in chalicelib/static/img/manifest.json"
        for where, name in named
        if name and name not in have
    ]


def idle_hours(cfg) -> list[str]:
    """Staff hours no client can book (a deploying engineer's walk): a staff member with no
    hours at all, or hours on a day the business is closed (staff hours are cut to the
    opening hours: domain/availability.py)."""
    from chalicelib.domain.config import WEEKDAYS

    out = []
    for i, s in enumerate(cfg.staff):
        if not any(getattr(s.hours, day) for day in WEEKDAYS):
            out.append(f"staff[{i}] ({s.name}) has no working hours: never bookable (exceptions aside)")
            continue
        shut = [day for day in WEEKDAYS if getattr(s.hours, day) and not getattr(cfg.opening_hours, day)]
        if shut:
            out.append(
                f"staff[{i}] ({s.name}) works on {', '.join(shut)}, when the business is closed: not bookable then"
            )
    return out


def cmd_validate_business(args) -> None:
    cfg = read_config_file(args.file)
    for problem in unknown_images(cfg):
        print(f"warning: {problem} (the page shows none)", file=sys.stderr)
    for problem in idle_hours(cfg):
        print(f"warning: {problem}", file=sys.stderr)
    print(f"ok: {cfg.slug} ({cfg.name}): {len(cfg.services)} services, {len(cfg.staff)} staff")


def cmd_load_business(args) -> None:
    from datetime import timedelta

    from chalicelib import clock
    from chalicelib.store import businesses
    from chalicelib.store.bookings import put_on_day_sheets
    from chalicelib.store.businesses import save_config

    cfg = read_config_file(args.file)
    if args.create_table:
        cmd_create_table(args)
    # Read as stored now (consistent, with its version): the save below is made only if
    # nobody saved since (a settings save between this check and the write was undone).
    known = businesses.get_by_slug(cfg.slug)
    found = businesses.read_for_change(known.id) if known else None
    stored, version = found if found else (None, None)
    if stored and payment_terms_changed_silently(stored.config, cfg):
        sys.exit(
            f"error: {args.file} changes the payment terms (payments.policy, payments.terms or a service's "
            f"payment) without raising payments.version (stored {stored.config.payments.version}, given {cfg.payments.version}): raise it, so new "
            "bookings record the terms their clients accepted"
        )
    undone: list[tuple[str, object, object]] = []
    if stored:
        loaded = businesses.last_loaded(stored.id)
        then = _as_loaded(loaded)
        undone = owner_changes_undone(then, _as_json(stored.config), _as_json(cfg))
        if undone and not args.replace_owner_changes:
            shown = "\n".join(
                f"  - {path}: now {_shown(now)}, the file {_shown(file)}" for path, now, file in undone[:40]
            )
            more = f"\n  ... and {len(undone) - 40} more" if len(undone) > 40 else ""
            why = (
                "the file last loaded no longer reads"
                if loaded is not None
                else "it was stored before Rebook kept what a file set"
            )
            since = (
                "since the file was last loaded"
                if then is not None
                else f"(or the file's own changes: every difference is listed, as {why})"
            )
            sys.exit(
                f"error: loading {args.file} would undo {len(undone)} setting(s) changed on the settings screen or "
                f"through the API {since}:\n{shown}{more}\nPut them into the file (`export-business {cfg.slug}` "
                "prints the settings as they are now), or pass --replace-owner-changes to replace them"
            )
    try:
        business, created = save_config(cfg, version)
    except businesses.ConfigChanged:
        sys.exit(f"error: the settings of '{cfg.slug}' were saved while {args.file} was being loaded: load it again")
    from chalicelib.store import audit

    # Who changed the settings, in the owner's audit trail: the paths replaced, never values.
    detail = {"file": Path(args.file).name, "replaced": [path for path, _, _ in undone]}
    audit.record(business.id, "operator", "operator", "load_business", None, clock.now(), detail)
    print(
        f"{'created' if created else 'updated'} business '{cfg.slug}' (id {business.id}): "
        f"{len(cfg.services)} services, {len(cfg.staff)} staff"
        + (f"; replaced {len(undone)} setting(s) the owner had changed" if undone else "")
    )
    # Visits booked before day sheets existed go on them now (a no-op once they are).
    now = clock.now()
    moved = put_on_day_sheets(business.id, cfg.tz, now - timedelta(days=1), now + timedelta(days=400))
    if moved:
        print(f"put {moved} booked visits on the staff's day sheets")


def cmd_export_business(args) -> None:
    """The business's settings as they are now (the settings screen's changes included), as
    a business file load-business takes: the start of the next file."""
    import yaml

    from chalicelib.store import businesses

    business = businesses.get_by_slug(args.business)
    if not business:
        sys.exit(f"error: no business '{args.business}'")
    print(yaml.safe_dump(_as_json(business.config), allow_unicode=True, sort_keys=False), end="")


def _as_json(cfg) -> dict:
    return cfg.model_dump(mode="json")


def _as_loaded(loaded: dict | None) -> dict | None:
    """The config a file last set, as today's code reads it (its defaults filled in), or
    None if there is none or it no longer reads (every difference is then listed)."""
    from chalicelib.domain.config import parse_business_config

    if loaded is None:
        return None
    try:
        return _as_json(parse_business_config(loaded))
    except ValueError:
        return None


_ABSENT = object()


def _paths(value, prefix: str = "") -> dict[str, object]:
    """A config's JSON by path: mappings by key, lists of items with an `id` by that id
    (`services[womens-cut].price_cents`), other lists whole."""
    if isinstance(value, dict) and value:
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(_paths(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(value, list) and value and all(isinstance(v, dict) and "id" in v for v in value):
        out = {f"{prefix}[order]": [item["id"] for item in value]}  # the booking page's order
        for item in value:
            out.update(_paths(item, f"{prefix}[{item['id']}]"))
        return out
    return {prefix: value}


def owner_changes_undone(loaded: dict | None, stored: dict, new: dict) -> list[tuple[str, object, object]]:
    """The settings changed since the file was last loaded (`loaded` -> `stored`: the owner
    on the settings screen, an integration through the API) that `new` would set otherwise,
    each as (path, its value now, the file's; _ABSENT where there is none); with no record
    of the last load, every difference."""
    now, file = _paths(stored), _paths(new)
    then = _paths(loaded) if loaded is not None else None
    return [
        (path, now.get(path, _ABSENT), file.get(path, _ABSENT))
        for path in sorted(set(now) | set(file))
        if now.get(path, _ABSENT) != file.get(path, _ABSENT)
        and (then is None or then.get(path, _ABSENT) != now.get(path, _ABSENT))
    ]


def _shown(value) -> str:
    text = "(none)" if value is _ABSENT else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def payment_terms_changed_silently(old, new) -> bool:
    """True when the terms a client accepts changed and payments.version was not raised (a
    lower one would name again a version that already named other terms: an older file)."""
    from chalicelib.domain.config import payment_terms

    return new.payments.version <= old.payments.version and payment_terms(old) != payment_terms(new)


def parse_moment(text: str, tz_name: str = "Europe/Helsinki"):
    """--now values: ISO 8601 with offset, 'YYYY-MM-DD HH:MM' (local), 'today HH:MM',
    'tomorrow HH:MM' or 'now'; local means Europe/Helsinki unless --tz says otherwise."""
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from chalicelib import clock

    tz = ZoneInfo(tz_name)
    text = text.strip()
    if text == "now":
        return clock.now()
    words = text.split()
    if len(words) == 2 and words[0] in ("today", "tomorrow"):
        day = clock.now().astimezone(tz).date() + timedelta(days=1 if words[0] == "tomorrow" else 0)
        text = f"{day.isoformat()} {words[1]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(UTC)


def cmd_run_job(args) -> None:
    from chalicelib import clock
    from chalicelib.jobs.schedule import JOBS, summary_of

    job = JOBS[args.job]
    moment = parse_moment(args.now, args.tz)
    summary = summary_of(job.run(moment, simulated=args.now != "now"))
    print(f"{job.name} at {moment.isoformat()}: {json.dumps(summary, default=str)}")
    if args.now != "now" and clock.travel_to(moment):
        # The links in what it sent (a feedback request, say) open on the stack at that
        # moment, not at the real time: the local stack's clock moves there and runs on.
        print(
            f"the local stack's clock now runs from {moment.isoformat()} (back to real time: rebook_cli clock --reset)"
        )


def cmd_seed_demo_history(args) -> None:
    """A year of clients for the demo salon (scripts/demo_history.py), then the jobs that
    would have followed: the return model fitted to them and the key figures counted."""
    from chalicelib import clock
    from chalicelib.jobs.schedule import JOBS
    from chalicelib.settings import get_settings
    from scripts import demo_history

    if not get_settings().is_local:  # 25 made-up clients who consented to marketing: never in AWS
        raise SystemExit(f"seed-demo-history writes made-up clients: local stages only, not {get_settings().stage!r}")
    made = demo_history.seed(args.business)
    if made["clients"]:
        for job in ("refit_returns", "kpi_sync"):
            JOBS[job].run(clock.now())
    print(f"demo history: {made['clients']} clients, {made['visits']} visits")


def cmd_clock(args) -> None:
    """Show the clock the local stack runs on, or put it back to real time."""
    from chalicelib import clock

    if args.reset:
        clock.travel_to(None)
    print(clock.now().isoformat())


def cmd_kpi_recount(args) -> None:
    """Mark every client of a business for the KPI sync, which recounts what each adds
    (run once after a release that counts something new, e.g. the day and staff counters)."""
    from chalicelib import clock
    from chalicelib.store import businesses, kpis

    b = businesses.get_by_slug(args.business)
    if b is None:
        raise SystemExit(f"no business {args.business!r}")
    n = kpis.mark_all(b.id, clock.now())
    print(f"{n} clients of {args.business} marked; the kpi_sync job recounts them on its next runs")


def cmd_index_staff_calendars(args) -> None:
    """Put a business's appointments written before the staff calendars existed on their
    staff member's calendar (g4), which the staff feeds read (run once per business after
    the release that added them; repeatable)."""
    from chalicelib.store import bookings, businesses

    b = businesses.get_by_slug(args.business)
    if b is None:
        raise SystemExit(f"no business {args.business!r}")
    n = bookings.index_staff_calendars(b.id)
    print(f"{n} appointments of {args.business} put on their staff member's calendar")


def cmd_index_refunds_due(args) -> None:
    """Put on the owner's list of refunds to make the visits the salon cancelled before the
    list existed that still hold what the client paid (run once per business after the
    release that added it; repeatable)."""
    from chalicelib.store import businesses, payments

    b = businesses.get_by_slug(args.business)
    if b is None:
        raise SystemExit(f"no business {args.business!r}")
    n = payments.index_refunds_due(b.id)
    print(f"{n} visits of {args.business} put on the owner's refunds to make")


def cmd_index_client_search(args) -> None:
    """Write the search keys of a business's clients, and of its open waitlist entries,
    from before they existed (the owner's search finds them only through them), and mark
    its closed waitlist entries on their contacts' lists (erasure finds them only there);
    run once per business after each of those releases; repeatable."""
    from chalicelib.store import businesses, search

    b = businesses.get_by_slug(args.business)
    if b is None:
        raise SystemExit(f"no business {args.business!r}")
    print(f"{search.index_business(b.id)} clients of {args.business} indexed for the owner's search")
    from chalicelib import clock
    from chalicelib.store import waitlist

    today = clock.now().astimezone(b.config.tz).date()
    print(f"{waitlist.index_search(b.id, today)} open waitlist entries of {args.business} indexed for it")
    closed = waitlist.index_closed(b.id, today)
    print(f"{closed} closed waitlist entries of {args.business} marked on their contacts' lists (erasure)")


def cmd_owner_token(args) -> None:
    """A signed owner (or staff) token for the local stack, from its local key."""
    from chalicelib.auth.local_keys import issue_token
    from chalicelib.settings import get_settings
    from chalicelib.store import businesses

    s = get_settings()
    if not s.auth_jwks_file:
        sys.exit(
            "error: owner-token signs local tokens only; in AWS owners sign in through Cognito (docs/owner-api.md)"
        )
    business = businesses.get_by_slug(args.business)
    if not business:
        sys.exit(f"error: no business '{args.business}' (load it with load-business first)")
    if args.role == "staff" and args.staff and not business.config.staff_member(args.staff):
        sys.exit(f"error: {args.business} has no staff member '{args.staff}'")
    print(
        issue_token(
            Path(s.auth_jwks_file).parent,
            business.id,
            args.role,
            user=args.user,
            staff_id=args.staff,
            hours=args.hours,
            issuer=s.auth_issuer,
            audience=s.auth_audience,
        )
    )


def use_local_stack_by_default() -> None:
    """Without REBOOK_STAGE the CLI means the local stack (`make run`), never AWS."""
    import os

    if os.environ.get("REBOOK_STAGE"):
        return
    from scripts.local_stack import child_env, local_ports, running_stack

    # The ports of the stack running from .local/ (REBOOK_PORT & co. when set): a stack
    # started with `REBOOK_PORT=8100 make run` is found without exporting anything.
    stack = running_stack() or {}
    local = child_env(*local_ports(), now=stack.get("now"))
    for key, value in local.items():
        if key.startswith(("REBOOK_", "AWS_")):
            os.environ.setdefault(key, value)
    os.environ["REBOOK_STAGE"] = "local"


def cmd_run_scheduler(args) -> None:
    """Run every scheduled job on its schedule until Ctrl-C (what `make run` starts)."""
    import time

    from chalicelib import clock
    from chalicelib.jobs.schedule import JOBS, summary_of

    last: dict[str, datetime] = {}
    print(f"scheduler: {', '.join(j.describe() for j in JOBS.values())}", flush=True)
    try:
        while True:
            for job in JOBS.values():
                now = clock.now()
                if now >= job.next_run(last.get(job.name), now):
                    last[job.name] = now
                    try:
                        summary = summary_of(job.run(now))
                        if any(v for k, v in summary.items() if k != "reasons"):
                            print(f"scheduler: {job.name}: {json.dumps(summary, default=str)}", flush=True)
                    except Exception as e:  # keep the scheduler alive; the job retries next time
                        print(f"scheduler: {job.name} failed: {type(e).__name__}: {e}", file=sys.stderr, flush=True)
            time.sleep(1)
    except KeyboardInterrupt:
        pass


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="rebook", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("create-table", help="create the DynamoDB table if missing").set_defaults(fn=cmd_create_table)
    p = sub.add_parser("validate-business", help="check a business YAML/JSON file without writing")
    p.add_argument("file")
    p.set_defaults(fn=cmd_validate_business)
    p = sub.add_parser("load-business", help="validate and create/update a business from YAML/JSON")
    p.add_argument("file")
    p.add_argument("--create-table", action="store_true", help="create the table first if it is missing")
    p.add_argument(
        "--replace-owner-changes",
        action="store_true",
        help="replace the settings the owner changed since the file was last loaded (listed otherwise, and refused)",
    )
    p.set_defaults(fn=cmd_load_business)
    p = sub.add_parser("export-business", help="print a business's settings as they are now, as a business file")
    p.add_argument("business", help="its slug")
    p.set_defaults(fn=cmd_export_business)
    from chalicelib.jobs.schedule import JOBS

    p = sub.add_parser("run-job", help="run one scheduled job once, optionally at a simulated moment")
    p.add_argument("job", choices=sorted(JOBS))
    p.add_argument("--now", default="now", help="e.g. 'tomorrow 08:00', '2026-11-25 08:00', ISO 8601 with offset")
    p.add_argument("--tz", default="Europe/Helsinki", help="time zone of --now when it has no offset")
    p.set_defaults(fn=cmd_run_job)
    p = sub.add_parser("owner-token", help="print a signed owner/staff token for the local stack")
    p.add_argument("business", help="the business's slug, e.g. demo")
    p.add_argument("--role", choices=["owner", "staff"], default="owner")
    p.add_argument("--staff", help="the staff member a staff token belongs to")
    p.add_argument("--user", help="user id in the token (default local-<role>-<business id>)")
    p.add_argument("--hours", type=float, default=12, help="validity (default 12 h)")
    p.set_defaults(fn=cmd_owner_token)
    p = sub.add_parser("kpi-recount", help="mark every client of a business for the KPI sync to recount")
    p.add_argument("business", help="the business's slug, e.g. demo")
    p.set_defaults(fn=cmd_kpi_recount)
    p = sub.add_parser("index-staff-calendars", help="put older appointments on their staff member's calendar (feeds)")
    p.add_argument("business", help="the business's slug, e.g. demo")
    p.set_defaults(fn=cmd_index_staff_calendars)
    p = sub.add_parser("index-refunds-due", help="list the refunds to make of visits the salon cancelled before")
    p.add_argument("business", help="the business's slug, e.g. demo")
    p.set_defaults(fn=cmd_index_refunds_due)
    p = sub.add_parser("index-client-search", help="write the search keys of clients from before they existed")
    p.add_argument("business", help="the business's slug, e.g. demo")
    p.set_defaults(fn=cmd_index_client_search)
    p = sub.add_parser("seed-demo-history", help="a year of clients for a new demo salon (what make run starts with)")
    p.add_argument("business", nargs="?", default="demo", help="the business's slug (default demo)")
    p.set_defaults(fn=cmd_seed_demo_history)
    p = sub.add_parser("clock", help="the local stack's clock (moved by run-job --now); --reset: real time")
    p.add_argument("--reset", action="store_true")
    p.set_defaults(fn=cmd_clock)
    p = sub.add_parser("run-scheduler", help="run every scheduled job on its schedule (local stack)")
    p.set_defaults(fn=cmd_run_scheduler)
    args = parser.parse_args(argv)
    use_local_stack_by_default()
    try:
        args.fn(args)
    except Exception as e:
        problem = aws_problem(e)
        if problem is None:
            raise
        print(f"error: {problem}", file=sys.stderr)
        sys.exit(2)


def aws_problem(exc: BaseException) -> str | None:
    """One line for DynamoDB out of reach or AWS credentials missing (PynamoDB wraps
    botocore's errors: its `cause`), else None."""
    from botocore.exceptions import ConnectionError as BotoConnectionError
    from botocore.exceptions import NoCredentialsError, PartialCredentialsError

    from chalicelib.settings import get_settings

    s = get_settings()
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, NoCredentialsError | PartialCredentialsError):
            return (
                f"no AWS credentials for REBOOK_STAGE={s.stage}: set them (aws configure, AWS_PROFILE, or "
                "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or unset REBOOK_STAGE to use the local stack"
            )
        if isinstance(e, BotoConnectionError):
            endpoint = s.dynamodb_endpoint or getattr(e, "kwargs", {}).get("endpoint_url") or f"AWS ({s.region})"
            if s.is_local:
                return (
                    f"cannot reach DynamoDB at {endpoint}: is the local stack running? Start it with `make run`, "
                    "or set REBOOK_DATA_DIR to the data dir of the stack you started"
                )
            return f"cannot reach {endpoint}: check the network and AWS_REGION ({s.region})"
        e = getattr(e, "cause", None) or e.__cause__ or e.__context__
    return None


if __name__ == "__main__":
    main()
