"""The Powertools Logger, created once on first use, and the message metrics.
Log ids, never names, phones or emails."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=1)
def logger():
    from aws_lambda_powertools import Logger

    return Logger(service="rebook")


def count_message(outcome: str, channel: str, kind: str) -> None:
    """One metric per outcome (sent, skipped, failed, deferred, retry) by channel and kind."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=f"messages_{outcome}", unit=MetricUnit.Count, value=1, namespace="Rebook") as m:
        m.add_dimension(name="channel", value=channel)
        m.add_dimension(name="kind", value=kind)
    if outcome == "failed":
        # One series without dimensions: what the "messages failed for good" alarm watches.
        with single_metric(name="messages_failed_permanently", unit=MetricUnit.Count, value=1, namespace="Rebook"):
            pass


SMS_BUDGET_METRIC = "sms_budget_exhausted"  # docs/deploy.md: the alarm the CDK app sets on it


def count_sms_budget_exhausted(business_id: str, budget: int) -> None:
    """An SMS was refused because its business spent the day's SMS budget: one series
    (Rebook/sms_budget_exhausted, no dimension of ours; in Lambda Powertools adds
    `service` from POWERTOOLS_SERVICE_NAME — the CDK alarm watches exactly that) and a
    structured log line naming the business (an id, no personal data)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    logger().warning(
        "sms budget exhausted", extra={"business_id": business_id, "budget": budget, "alarm": SMS_BUDGET_METRIC}
    )
    with single_metric(name=SMS_BUDGET_METRIC, unit=MetricUnit.Count, value=1, namespace="Rebook"):
        pass


AUDIT_LOST_METRIC = "audit_lost"  # docs/deploy.md: the alarm the CDK app sets on it


def count_audit_lost() -> None:
    """An owner's change committed but its audit entry could not be written (the change is
    kept and answered; services/admin/common.py audited_after_commit): one series
    (Rebook/audit_lost, no dimension of ours, as the SMS budget's) that the CDK app's alarm
    watches, so a gap in who-changed-what is seen by someone, not only logged (the log line
    beside it names the business and the action)."""
    from aws_lambda_powertools.metrics import MetricUnit, single_metric

    with single_metric(name=AUDIT_LOST_METRIC, unit=MetricUnit.Count, value=1, namespace="Rebook"):
        pass
