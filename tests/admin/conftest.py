"""Two businesses (the demo salon and another) and a booked client in the demo one."""

from __future__ import annotations

import pytest
import yaml

from tests.admin.helpers import Desk
from tests.api.helpers import book
from tests.conftest import DEMO


@pytest.fixture
def other(aws):
    """A second business, to prove that one business never sees another's data."""
    from chalicelib.domain.config import parse_business_config
    from chalicelib.store.businesses import save_config

    data = yaml.safe_load(DEMO.read_text())
    data.update(slug="other-salon", name="Toinen Salonki")
    business, _ = save_config(parse_business_config(data))
    return business


@pytest.fixture
def desk(client, aws):
    return Desk(client, aws.id)


@pytest.fixture
def staff_desk(client, aws):
    return Desk(client, aws.id, role="staff", staff_id="aino")


@pytest.fixture
def booked(client, desk):
    """Maija's booking on Wed 25 Nov 12:00 and her client id."""
    status, body = book(client, "2026-11-25T12:00:00+02:00", note="Allergic to ammonia", consents={"marketing": True})
    assert status == 201, body
    _, cal = desk.get("/calendar?date=2026-11-25")
    appt = cal["staff"][0]["appointments"][0]
    return {"appointment": appt["id"], "client": appt["client"]["id"], "booking": body}
