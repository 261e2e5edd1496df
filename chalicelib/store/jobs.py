"""Scheduled jobs' own state: the watermark up to which a job has done its work, or the
round a job is in and where in it the last run stopped."""

from __future__ import annotations

from datetime import datetime

from pynamodb.exceptions import PutError

from chalicelib.store import db, keys
from chalicelib.store.models import JobStateItem


def get_watermark(job: str) -> datetime | None:
    db.configure()
    try:
        return JobStateItem.get(keys.job_pk(job), keys.JOB_SK, consistent_read=True).watermark
    except JobStateItem.DoesNotExist:
        return None


def set_watermark(job: str, watermark: datetime, now: datetime) -> None:
    """Only ever moves forward, so a slow run never rewinds a newer one's progress."""
    db.configure()
    item = JobStateItem(keys.job_pk(job), keys.JOB_SK, watermark=watermark, updated_at=now)
    try:
        item.save(condition=JobStateItem.watermark.does_not_exist() | (JobStateItem.watermark < watermark))
    except PutError as e:  # the condition: a newer run got there first
        if e.cause_response_code != "ConditionalCheckFailedException":
            raise


def get_round(job: str) -> tuple[datetime, str] | None:
    """The round a job's last run left unfinished: when it began and the unit of work
    to go on with; None when the last round was finished."""
    db.configure()
    try:
        item = JobStateItem.get(keys.job_pk(job), keys.JOB_SK, consistent_read=True)
    except JobStateItem.DoesNotExist:
        return None
    return (item.watermark, item.position) if item.position else None


def set_round(job: str, began: datetime, position: str | None, now: datetime) -> None:
    """Where a round stands: `position` the unit to go on with, None when finished."""
    db.configure()
    JobStateItem(keys.job_pk(job), keys.JOB_SK, watermark=began, updated_at=now, position=position).save()
