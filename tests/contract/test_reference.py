"""The contract served by the app: GET /api/v1/openapi.json is docs/openapi.yaml, and
/docs/api is a readable page rendered from it (every operation and schema, no CDN), and
the deployment package carries the document."""

from __future__ import annotations

import json
import re
import zipfile

from tests.contract.fuzzing import document


def test_the_document_is_served_as_json(client):
    r = client.http.get("/api/v1/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    served = json.loads(r.body)
    assert {**served, "servers": document()["servers"]} == document()


def test_the_served_document_names_the_deployments_own_base_so_a_generated_client_calls_it(client, monkeypatch):
    """Under API Gateway's own address every route is below the stage path (/api): a client
    generated from the served document must call there, and at a custom domain's root."""
    from chalicelib.settings import reset_settings

    for public_url in ("https://abc123.execute-api.eu-north-1.amazonaws.com/api", "https://book.salon.fi"):
        monkeypatch.setenv("REBOOK_PUBLIC_URL", public_url)
        reset_settings()
        served = json.loads(client.http.get("/api/v1/openapi.json").body)
        [server] = served["servers"]
        # A generator joins the server and each path: the route's own address at that base.
        assert server["url"] + "/api/v1/openapi.json" == f"{public_url}/api/v1/openapi.json"
        assert server == {"url": public_url}


def test_the_reference_page_shows_every_operation_and_schema_without_outside_resources(client):
    r = client.http.get("/docs/api")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/html")
    page = r.body.decode()
    doc = document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert f'id="{op["operationId"]}"' in page, (method, path)
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in page
    assert 'href="#schema-Booking"' in page  # answers link to their schema
    # Nothing to run or frame it by, over HTTPS only.
    assert (
        "default-src 'none'" in r.headers["Content-Security-Policy"]
        and "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    )
    assert r.headers["X-Content-Type-Options"] == "nosniff" and "max-age" in r.headers["Strict-Transport-Security"]
    assert "write:bookings" in page  # the scope an API key needs
    # Nothing loaded from elsewhere: no script, no stylesheet or image from another host.
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)


def test_the_deployment_package_carries_the_document(tmp_path):
    from infra.lean_package import add_documents
    from tests.conftest import ROOT

    package = tmp_path / "deployment.zip"
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("app.py", "")
    add_documents(package, ROOT)
    with zipfile.ZipFile(package) as z:
        assert z.read("docs/openapi.yaml") == (ROOT / "docs" / "openapi.yaml").read_bytes()
