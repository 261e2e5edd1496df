"""Draw the demo salon's images (cover, logo, staff portraits) at the sizes the booking
page asks for, as WebP, with a content hash in each file name (served with a year's
cache), and write chalicelib/static/img/manifest.json, which the pages read.

    .venv/bin/python -m scripts.demo_images

Drawn by Chromium's canvas (the browser the tests already use), so no imaging library
is needed; a real salon's photos are resized the same way by whoever adds them."""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"  # Debian's, as the browser tests use (scripts/ensure-system.sh)
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run"]

OUT = Path(__file__).resolve().parents[1] / "chalicelib" / "static" / "img"

# name: (aspect w:h, widths drawn, what to draw)
IMAGES = {
    "demo-cover": ((3, 1), (480, 960, 1440), {"kind": "cover", "colours": ["#0b6e4f", "#1f9d74", "#e9c46a"]}),
    "demo-logo": ((1, 1), (72, 144), {"kind": "logo", "text": "SA", "colours": ["#0b6e4f", "#ffffff"]}),
    "demo-aino": ((1, 1), (64, 128), {"kind": "face", "text": "AV", "colours": ["#f4a261", "#6d3b1f"]}),
    "demo-mikko": ((1, 1), (64, 128), {"kind": "face", "text": "ML", "colours": ["#8ecae6", "#1d3557"]}),
    "demo-sanna": ((1, 1), (64, 128), {"kind": "face", "text": "SK", "colours": ["#cdb4db", "#5a189a"]}),
}

DRAW = """([w, h, spec]) => {
  const c = document.createElement('canvas'); c.width = w; c.height = h;
  const g = c.getContext('2d'); const [a, b, d] = spec.colours;
  if (spec.kind === 'cover') {
    const grad = g.createLinearGradient(0, 0, w, h); grad.addColorStop(0, a); grad.addColorStop(1, b);
    g.fillStyle = grad; g.fillRect(0, 0, w, h);
    for (let i = 0; i < 9; i++) {  // soft light shapes: a calm salon-ish pattern
      g.globalAlpha = 0.12; g.fillStyle = i % 2 ? d : '#ffffff';
      g.beginPath(); g.arc(w * (i + 0.5) / 9, h * (0.3 + 0.4 * ((i * 7) % 3) / 2), h * (0.25 + (i % 3) * 0.12), 0, 7); g.fill();
    }
  } else {
    g.fillStyle = a; g.fillRect(0, 0, w, h);
    if (spec.kind === 'face') {
      g.fillStyle = b; g.globalAlpha = 0.85;
      g.beginPath(); g.arc(w / 2, h * 0.4, w * 0.2, 0, 7); g.fill();
      g.beginPath(); g.ellipse(w / 2, h * 1.02, w * 0.38, h * 0.36, 0, 0, 7); g.fill();
    } else {
      g.fillStyle = b; g.font = `600 ${Math.round(h * 0.42)}px serif`;
      g.textAlign = 'center'; g.textBaseline = 'middle'; g.fillText(spec.text, w / 2, h / 2 + h * 0.03);
    }
  }
  return c.toDataURL('image/webp', 0.82);
}"""


def main() -> None:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.webp"):
        old.unlink()
    manifest: dict[str, dict] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page()
        for name, ((aw, ah), widths, spec) in IMAGES.items():
            files = {}
            for w in widths:
                h = w * ah // aw
                data = base64.b64decode(page.evaluate(DRAW, [w, h, spec]).split(",", 1)[1])
                file = f"{name}-{w}.{hashlib.sha256(data).hexdigest()[:10]}.webp"
                (OUT / file).write_bytes(data)
                files[str(w)] = file
            manifest[name] = {"ratio": [aw, ah], "files": files}
        browser.close()
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
