"""Rebook's command line: set up tables and load business configuration.

    python -m scripts.rebook_cli create-table
    python -m scripts.rebook_cli validate-business config/businesses/demo.yaml
    python -m scripts.rebook_cli load-business config/businesses/demo.yaml

Reads the same environment as the app (REBOOK_TABLE, REBOOK_DYNAMODB_ENDPOINT, ...).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def read_config_file(path: str):
    """Parse and validate a YAML or JSON business file; exit 2 with every error listed."""
    from pydantic import ValidationError

    from chalicelib.domain.config import format_validation_error, parse_business_config

    file = Path(path)
    if not file.is_file():
        sys.exit(f"error: no such file: {path}")
    text = file.read_text(encoding="utf-8")
    try:
        if file.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as e:  # YAML and JSON errors both carry line numbers
        sys.exit(f"error: {path} is not valid {'JSON' if file.suffix.lower() == '.json' else 'YAML'}:\n  {e}")
    if not isinstance(data, dict):
        sys.exit(f"error: {path} must contain a mapping of business settings")
    try:
        return parse_business_config(data)
    except ValidationError as e:
        problems = format_validation_error(e)
        lines = "\n".join(f"  - {line}" for line in problems)
        print(f"error: {path} has {len(problems)} problem(s):\n{lines}", file=sys.stderr)
        sys.exit(2)


def cmd_create_table(_args) -> None:
    from chalicelib.settings import get_settings
    from chalicelib.store.db import create_table

    created = create_table()
    print(f"table {get_settings().table_name}: {'created' if created else 'already exists'}")


def cmd_validate_business(args) -> None:
    cfg = read_config_file(args.file)
    print(f"ok: {cfg.slug} ({cfg.name}): {len(cfg.services)} services, {len(cfg.staff)} staff")


def cmd_load_business(args) -> None:
    from chalicelib.store.businesses import save_config

    cfg = read_config_file(args.file)
    business, created = save_config(cfg)
    print(f"{'created' if created else 'updated'} business '{cfg.slug}' (id {business.id}): "
          f"{len(cfg.services)} services, {len(cfg.staff)} staff")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="rebook", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("create-table", help="create the DynamoDB table if missing").set_defaults(fn=cmd_create_table)
    p = sub.add_parser("validate-business", help="check a business YAML/JSON file without writing")
    p.add_argument("file")
    p.set_defaults(fn=cmd_validate_business)
    p = sub.add_parser("load-business", help="validate and create/update a business from YAML/JSON")
    p.add_argument("file")
    p.set_defaults(fn=cmd_load_business)
    args = parser.parse_args(argv)
    args.fn(args)


if __name__ == "__main__":
    main()
