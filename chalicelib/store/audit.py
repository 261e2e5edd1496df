"""The audit trail: who read, changed, exported or erased client data, and when.

Partitioned by business and month, so the owner reads one month with one Query and a
busy month never grows one partition forever.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from chalicelib.domain.ids import new_id
from chalicelib.domain.privacy import AuditEntry
from chalicelib.store import db, keys
from chalicelib.store.models import AuditItem


def record(
    business_id: str,
    actor: str,
    role: str,
    action: str,
    client_id: str | None,
    now: datetime,
    detail: dict[str, Any] | None = None,
) -> None:
    db.configure()
    AuditItem(
        keys.audit_pk(business_id, now.strftime("%Y-%m")),
        keys.audit_sk(now, new_id(8)),
        business_id=business_id,
        at=now,
        actor=actor,
        role=role,
        action=action,
        client_id=client_id,
        detail=detail,
    ).save()


def month(business_id: str, yyyy_mm: str, client_id: str | None = None) -> list[AuditEntry]:
    """Newest first."""
    db.configure()
    condition = (AuditItem.client_id == client_id) if client_id else None
    found = AuditItem.query(keys.audit_pk(business_id, yyyy_mm), filter_condition=condition, scan_index_forward=False)
    return [
        AuditEntry(
            business_id=e.business_id,
            at=e.at,
            actor=e.actor,
            role=e.role,
            action=e.action,
            client_id=e.client_id,
            detail=e.detail,
        )
        for e in found
    ]
