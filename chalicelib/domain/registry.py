"""What the owner may write about a client, a visit and a follow-up: validated input."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator

from chalicelib import clock
from chalicelib.domain.contacts import Email, Phone
from chalicelib.domain.isoday import IsoDay
from chalicelib.domain.locales import Locale
from chalicelib.domain.plaintext import Notes, OneLine, notes_if_any, one_line

RELATIONSHIPS = ("active", "at_risk", "lapsed", "maintenance")
VISIT_MARKS = ("arrived", "completed", "no_show", "booked")  # booked: undo a wrong mark
_BIRTHDAY = re.compile(r"^(\d{4}|--)-?(\d{2})-(\d{2})$")
# As an owner writes it in the Nordics: '14.3.' (year unknown) or '14.3.1985'.
_DAY_FIRST = re.compile(r"^(\d{1,2})\.(\d{1,2})(?:\.(\d{4})?)?$")


def parse_birthday(v: str) -> str:
    """'1990-02-28', '--02-28' (year unknown), '28.2.1990' or '28.2.' -> 'YYYY-MM-DD' or
    '--MM-DD'; 29 February is allowed."""
    text = v.strip() if isinstance(v, str) else ""
    m = _BIRTHDAY.match(text)
    if m:
        year, month, day = m.groups()
    elif d := _DAY_FIRST.match(text):
        year, month, day = d.group(3) or "--", f"{int(d.group(2)):02d}", f"{int(d.group(1)):02d}"
    else:
        raise ValueError("use 14.3.1985 or 1985-03-14, or 14.3. when the year is not known")
    try:
        date(2000 if year == "--" else int(year), int(month), int(day))  # 2000 is a leap year
    except ValueError:
        raise ValueError("not a real date") from None
    if year != "--" and not 1900 <= int(year) <= clock.now().year:
        raise ValueError("year out of range")
    return f"{year}-{month}-{day}" if year != "--" else f"--{month}-{day}"


class ClientUpdate(BaseModel):
    """PATCH of a client profile: only the fields sent change; null clears a field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    phone: Phone = None
    email: Email = None
    locale: Locale | None = None
    birthday: str | None = None
    preferences: dict[str, str] | None = None
    allergies: str | None = Field(default=None, max_length=2000)
    important_notes: str | None = Field(default=None, max_length=2000)
    tags: list[str] | None = Field(default=None, max_length=20)
    relationship: str | None = None
    marketing: StrictBool | None = None  # consent given or withdrawn in person / by phone

    @field_validator("name")
    @classmethod
    def _name(cls, v: str | None) -> str | None:
        # Sent as null (a blank input): with the body's other errors, not after them.
        if v is None:
            raise ValueError("required: a client needs a name")
        return one_line(v)  # as a booking takes it (domain/plaintext.py)

    @field_validator("allergies", "important_notes")
    @classmethod
    def _notes(cls, v: str | None) -> str | None:
        return notes_if_any(v)

    @field_validator("birthday")
    @classmethod
    def _birthday(cls, v: str | None) -> str | None:
        return parse_birthday(v) if v else None

    @field_validator("preferences")
    @classmethod
    def _preferences(cls, v: dict[str, str] | None) -> dict[str, str] | None:
        if v is None:
            return v
        if len(v) > 30:
            raise ValueError("at most 30 preferences")
        for k, val in v.items():
            if not k.strip() or len(k) > 60 or len(val) > 300:
                raise ValueError("names up to 60 characters, values up to 300")
            one_line(k), one_line(val)
        return {k.strip(): val.strip() for k, val in v.items()}

    @field_validator("tags")
    @classmethod
    def _tags(cls, v: list[str] | None) -> list[str] | None:
        if v is None:
            return v
        tags = [t.strip().lower() for t in v]
        if any(not t or len(t) > 30 for t in tags):
            raise ValueError("tags are 1-30 characters")
        for t in tags:
            one_line(t)
        return sorted(set(tags))

    @field_validator("relationship")
    @classmethod
    def _relationship(cls, v: str | None) -> str | None:
        if v is not None and v not in RELATIONSHIPS:
            raise ValueError(f"must be one of {', '.join(RELATIONSHIPS)}")
        return v


class VisitMark(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: str

    @field_validator("status")
    @classmethod
    def _status(cls, v: str) -> str:
        if v not in VISIT_MARKS:
            raise ValueError(f"must be one of {', '.join(VISIT_MARKS)}")
        return v


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: Notes = Field(min_length=1, max_length=4000)


class PersonalMessageIn(BaseModel):
    """The owner's own words to a client (dashboard: "send a personal message")."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: Notes = Field(min_length=1, max_length=1000)  # into her SMS or email


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    text: Notes = Field(min_length=1, max_length=500)  # its lines kept: the dashboard sends it back
    due: IsoDay | None = None
    staff: str | None = None  # the staff member responsible
    done: StrictBool = False


class FollowUpIn(BaseModel):
    """A follow-up: the client's goal, the actions agreed and the next step."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    goal: Notes | None = Field(default=None, max_length=1000)
    actions: list[ActionIn] = Field(default_factory=list, max_length=30)
    next_step: Notes | None = Field(default=None, max_length=500)
    closed: StrictBool = False


class StampAdjustIn(BaseModel):
    """The owner corrects a stamp card (a visit paid elsewhere, a goodwill stamp, a
    mistake): a signed number of stamps and why, kept in the audit trail."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    stamps: StrictInt = Field(ge=-50, le=50)
    reason: OneLine = Field(min_length=3, max_length=300)

    @field_validator("stamps")
    @classmethod
    def _nonzero(cls, v: int) -> int:
        if v == 0:
            raise ValueError("must not be 0")
        return v


@dataclass(frozen=True)
class Note:
    """A dated note about a client and who wrote it."""

    business_id: str
    client_id: str
    id: str
    text: str
    author: str
    created_at: datetime
    author_role: str | None = None  # owner | staff | import (None: written before it was kept)
    author_staff_id: str | None = None


@dataclass(frozen=True)
class FollowUpAction:
    """One action agreed: what, by when, who is responsible, and whether it is done."""

    text: str
    due: date | None = None
    staff: str | None = None
    done: bool = False


@dataclass(frozen=True)
class FollowUp:
    """What the client wants to achieve, the actions agreed and the next step."""

    business_id: str
    client_id: str
    id: str
    status: str  # open | closed
    created_at: datetime
    updated_at: datetime
    created_by: str
    goal: str | None = None
    actions: tuple[FollowUpAction, ...] = ()
    next_step: str | None = None

    @property
    def due(self) -> date | None:
        """The earliest open action's due date: when the follow-up is due (never when closed)."""
        dates = [a.due for a in self.actions if a.due and not a.done]
        return min(dates) if dates and self.status == "open" else None
