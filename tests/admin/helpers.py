"""Driving the owner API with real signed tokens through the Chalice authorizer."""

from __future__ import annotations

import json

from tests.conftest import owner_token


def call(client, method, path, token=None, body=None, headers=None):
    h = {"Content-Type": "application/json", **(headers or {})}
    if token:
        h["Authorization"] = f"Bearer {token}"
    data = json.dumps(body) if body is not None else None
    r = getattr(client.http, method.lower())(path, headers=h, **({"body": data} if data is not None else {}))
    try:
        parsed = json.loads(r.body) if r.body else None
    except ValueError:
        parsed = r.body
    return r.status_code, parsed


class Desk:
    """An owner (or staff member) of one business calling /api/v1/admin."""

    def __init__(self, client, business_id, role="owner", **kw):
        self.client = client
        self.business_id = business_id
        self._who = (business_id, role, kw)

    @property
    def token(self):
        # Signed afresh at the (frozen) clock's now, as a signed-in owner's session is
        # refreshed: tests that move the clock by weeks still call as a signed-in owner.
        business_id, role, kw = self._who
        return owner_token(business_id, role, **kw)

    def get(self, path, **kw):
        return call(self.client, "GET", "/api/v1/admin" + path, self.token, **kw)

    def post(self, path, body=None, **kw):
        return call(self.client, "POST", "/api/v1/admin" + path, self.token, body if body is not None else {}, **kw)

    def patch(self, path, body, **kw):
        return call(self.client, "PATCH", "/api/v1/admin" + path, self.token, body, **kw)

    def put(self, path, body, **kw):
        return call(self.client, "PUT", "/api/v1/admin" + path, self.token, body, **kw)

    def delete(self, path, **kw):
        return call(self.client, "DELETE", "/api/v1/admin" + path, self.token, **kw)
