"""The owner's view of a client's stamp card and rewards, and her corrections to it."""

from __future__ import annotations

from typing import Any

from chalicelib import clock
from chalicelib.auth.principal import Principal
from chalicelib.domain.registry import StampAdjustIn
from chalicelib.errors import Conflict, NotFound
from chalicelib.services import loyalty
from chalicelib.services.admin.common import audited_after_commit, business_of, parse
from chalicelib.services.admin.registry import client_or_404
from chalicelib.store import clients


def get_card(p: Principal, client_id: str) -> dict[str, Any]:
    b = business_of(p)
    c = client_or_404(b, client_id)
    return loyalty.card_view(b, c, clock.now(), for_client=False)


def adjust(p: Principal, client_id: str, body: object) -> dict[str, Any]:
    p.require("loyalty")
    b = business_of(p)
    req: StampAdjustIn = parse(StampAdjustIn, body, "stamp adjustment")
    c = client_or_404(b, client_id)
    if not b.config.loyalty.enabled:
        raise Conflict("The stamp card is not in use; turn it on in the settings first.", code="loyalty_off")
    now = clock.now()
    updated = clients.adjust_stamps(b.id, c.id, req.stamps, now)
    if updated is None:
        raise NotFound("No such client.")
    # The reason is the owner's own words about the card, kept with who changed it.
    audited_after_commit(p, "adjust_stamps", c.id, {"stamps": req.stamps, "reason": req.reason})
    loyalty.settle(b, updated, now)
    return loyalty.card_view(b, updated, now, for_client=False)
