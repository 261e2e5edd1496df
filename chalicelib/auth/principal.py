"""Who is calling the owner API, and what that role may do.

The business id comes from the verified token only, never from the request: every
owner query is scoped by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.errors import Forbidden

ROLES = ("owner", "staff")

# Staff run the calendar and look after clients and notes; export, erasure, the audit
# trail, the business's settings, its figures (KPIs: revenue) and importing clients
# from another system are the owner's, and so is dismissing a client's early warning; so
# are a booking's money (charging a fee by hand, waiving it, refunding, charging her saved
# card above the visit's price at the checkout). The owner's no-show mark charges its fee
# by the accepted terms; a staff member's charges none (the owner may), and undoing a
# no-show whose fee was taken is the owner's (it gives the fee back).
OWNER_ONLY = {"export", "erase", "settings", "audit", "loyalty", "kpis", "import", "warnings", "money"}


@dataclass(frozen=True)
class Principal:
    user_id: str
    business_id: str
    role: str
    staff_id: str | None = None
    # An integration's API key (chalicelib/domain/api_keys.py): its id and scopes. The
    # key acts for the business as its owner would, but only on the routes its scopes open.
    key_id: str | None = None
    scopes: tuple[str, ...] = ()

    def can(self, permission: str) -> bool:
        return self.role == "owner" or permission not in OWNER_ONLY

    def require(self, permission: str) -> None:
        if not self.can(permission):
            raise Forbidden(f"Only the business owner can do this ({permission}).", code="owner_only")

    def as_context(self) -> dict:
        """What the authorizer hands to the view (API Gateway passes strings only)."""
        return {
            "user_id": self.user_id,
            "business_id": self.business_id,
            "role": self.role,
            "staff_id": self.staff_id or "",
            "key_id": self.key_id or "",
            "scopes": " ".join(self.scopes),
        }

    @classmethod
    def from_context(cls, ctx: dict) -> Principal | None:
        if not ctx or ctx.get("role") not in ROLES or not ctx.get("business_id") or not ctx.get("user_id"):
            return None
        return cls(
            user_id=ctx["user_id"],
            business_id=ctx["business_id"],
            role=ctx["role"],
            staff_id=ctx.get("staff_id") or None,
            key_id=ctx.get("key_id") or None,
            scopes=tuple((ctx.get("scopes") or "").split()),
        )
