"""Rebook's Chalice app: wiring only. Routes live in chalicelib/api, rules in chalicelib/domain."""
from chalice import Chalice

from chalicelib.api.pages import pages
from chalicelib.api.public import public
from chalicelib.settings import get_settings

app = Chalice(app_name="rebook")
app.register_blueprint(public)
app.register_blueprint(pages)

if get_settings().is_local:
    # Local-only tools (the messages the local stack "sent"); never deployed routes.
    from chalicelib.api.dev import dev

    app.register_blueprint(dev)
