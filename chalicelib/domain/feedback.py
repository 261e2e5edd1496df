"""Feedback after the visit: when to ask, and what a rating is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from chalicelib.domain.config import FeedbackSettings, _parse_hhmm
from chalicelib.domain.timeutil import local_wall_to_utc

LINK_VALID = timedelta(days=30)
LATE_LIMIT = timedelta(days=2)  # a request more than this late (an outage) is not sent


def request_time(visit_end: datetime, rules: FeedbackSettings, tz: ZoneInfo) -> datetime:
    """`delay_hours` after the visit ended, moved into the daytime window of the
    business's time zone: before it, to its start the same day; after it, to its start
    the next day."""
    t = visit_end + timedelta(hours=rules.delay_hours)
    local = t.astimezone(tz)
    minutes = local.hour * 60 + local.minute
    start, end = _parse_hhmm(rules.day_start), _parse_hhmm(rules.day_end)
    if start <= minutes < end:
        return t
    day = local.date() if minutes < start else local.date() + timedelta(days=1)
    return local_wall_to_utc(day, start, tz)


def is_low(rating: int, rules: FeedbackSettings) -> bool:
    return rating <= rules.low_score


class RatingIn(BaseModel):
    """What the feedback page posts."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(default=None, max_length=2000)

    @field_validator("rating", mode="before")
    @classmethod
    def _rating(cls, v: object) -> object:
        if isinstance(v, str) and v.strip().isdigit():
            return int(v)
        if isinstance(v, bool) or not isinstance(v, int):
            raise ValueError("choose 1 to 5 stars")
        return v

    @field_validator("comment")
    @classmethod
    def _comment(cls, v: str | None) -> str | None:
        return v or None


@dataclass(frozen=True)
class Rating:
    """A client's rating of one visit (the last submission wins)."""

    business_id: str
    appointment_id: str
    client_id: str
    staff_id: str
    service_id: str
    visit_start: datetime
    rating: int
    comment: str | None
    submitted_at: datetime  # the first submission
    updated_at: datetime  # the latest
    submissions: int = 1
