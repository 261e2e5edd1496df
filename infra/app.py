"""The CDK app: `cdk synth -c stage=dev|prod` (see `make synth` and docs/deploy.md)."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import aws_cdk as cdk

from infra.rebook_stack import RebookStack, StageSettings, account_conflicts


def build(app: cdk.App) -> RebookStack:
    stage = app.node.try_get_context("stage") or "dev"
    stages = app.node.try_get_context("stages") or {}
    if stage not in stages:
        raise SystemExit(f"Unknown stage {stage!r}: infra/cdk.json knows {', '.join(stages)}")
    values = dict(stages[stage])
    # `-c table_name=...` on the command line wins over the stage's own setting (a
    # restored table: docs/deploy.md); keep it in infra/cdk.json for every later deploy.
    if app.node.try_get_context("table_name"):
        values["table_name"] = app.node.try_get_context("table_name")
    region = values.get("region") or os.environ.get("CDK_DEFAULT_REGION") or "eu-north-1"
    # `chalice package` resolves service principals for the region; no credentials needed.
    os.environ.setdefault("AWS_DEFAULT_REGION", region)
    env = cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=region)
    stack = RebookStack(
        app,
        f"rebook-{stage}",
        settings=StageSettings.from_context(stage, values),
        env=env,
        description=f"Rebook booking and client retention ({stage})",
    )
    # Stages in one account must not both own an account-wide thing (docs/deploy.md §8);
    # in separate accounts they may, so this warns rather than fails.
    for problem in account_conflicts(stages):
        cdk.Annotations.of(stack).add_warning_v2("rebook:account-conflict", problem)
    return stack


INFRA = Path(__file__).resolve().parent


def synth_template(stage: str, outdir: Path, **context: str) -> dict:
    """One stage's template, synthesized in this process with infra/cdk.json's context
    (what `cdk synth -c stage=... -c key=value` does through the CLI, without its node
    process and a new jsii runtime each time: the tests synthesize three of them)."""
    settings = json.loads((INFRA / "cdk.json").read_text(encoding="utf-8"))["context"]
    with contextlib.chdir(INFRA):  # chalice.out/ next to cdk.out/
        app = cdk.App(context={**settings, "stage": stage, **context}, outdir=str(outdir))
        stack = build(app)
        app.synth()
    return json.loads((outdir / f"{stack.stack_name}.template.json").read_text(encoding="utf-8"))


if __name__ == "__main__":
    os.chdir(INFRA)  # chalice.out/ next to cdk.out/
    app = cdk.App()
    build(app)
    app.synth()
