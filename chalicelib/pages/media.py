"""The business's images on the client pages: each a name in the image set
(chalicelib/static/img/manifest.json: its aspect and the widths drawn, each file named
with its content hash), served from the app locally and from the media bucket behind
CloudFront in AWS (REBOOK_MEDIA_URL), with a year's cache either way."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from chalicelib.settings import get_settings

IMAGES = Path(__file__).resolve().parent.parent / "static" / "img"


@lru_cache(maxsize=1)
def manifest() -> dict[str, dict[str, Any]]:
    path = IMAGES / "manifest.json"
    return json.loads(path.read_text()) if path.exists() else {}


@lru_cache(maxsize=1)
def files() -> frozenset[str]:
    """Every file the static route may serve (an allow-list, never a path from the URL)."""
    return frozenset(f for entry in manifest().values() for f in entry["files"].values())


def image(name: str | None, width: int) -> dict[str, Any] | None:
    """What an <img> needs to show image `name` `width` CSS pixels wide without a layout
    shift: src (the smallest file at least that wide), a srcset of every width drawn, and
    width/height in the image's own aspect. None for an image not in the set."""
    entry = manifest().get(name or "")
    if not entry:
        return None
    base = get_settings().media_url
    drawn = sorted((int(w), f) for w, f in entry["files"].items())
    src = next((f for w, f in drawn if w >= width), drawn[-1][1])
    aw, ah = entry["ratio"]
    return {
        "src": f"{base}/{src}",
        "srcset": ", ".join(f"{base}/{f} {w}w" for w, f in drawn),
        "width": width,
        "height": round(width * ah / aw),
    }
