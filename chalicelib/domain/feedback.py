"""Feedback after the visit: when to ask, and what a rating is."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator

from chalicelib.domain.config import FeedbackSettings, _parse_hhmm
from chalicelib.domain.plaintext import Notes
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
    """A rating of a visit: `rating` a whole JSON number as sent (`true`, "4" or 4.0 is a
    422 on the field, as money inputs are: StrictInt). The feedback page's form sends it as
    text and converts it itself (pages/views.py feedback_submit: digits.whole_number)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)
    rating: StrictInt = Field(ge=1, le=5)
    comment: Notes | None = Field(default=None, max_length=2000)

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
