"""CSV import on the local stack: 10 000 rows of clients exported from another system
(Finnish headers, ';', Windows-1252 as Excel writes it): most with a past visit, some
rows more visits of a client already in the file, some clients the salon already has,
a few bad rows. Uploaded, run and followed the way the dashboard does it: POST /imports
(the dry run), POST /imports/{id}/run, then POST /run again every half second while the
import runs (each request continues it for a few seconds; the local scheduler's
`imports` job works on it too) until it is done.

    .venv/bin/python bench/import_clients.py [--rows 10000]

Starts its own local stack (DynamoDB Local, chalice local, the scheduler); prints the
time from upload to done, the longest single request, and one `bench:` line last.
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import sys
import time
import urllib.error
import urllib.request
from datetime import date, timedelta

from scripts.local_stack import scratch_stack

HEADER = "Nimi;Puhelin;Sähköposti;Syntymäpäivä;Käyntipäivä;Palvelu;Hinta;Työntekijä;Lisätiedot"
SERVICES = [
    "Naisten hiustenleikkaus",
    "Miesten hiustenleikkaus",
    "Hiusten värjäys",
    "Föönaus ja muotoilu",
    "Permanentti",
]
STAFF = ["Aino", "Mikko", "Sanna", "Kaisa"]
FIRST = ["Maija", "Liisa", "Anna", "Aino", "Pekka", "Juha", "Sari", "Tiina", "Ville", "Elina", "Jussi", "Äijä"]
LAST = ["Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Hämäläinen", "Laine", "Heikkinen", "Koskinen", "Järvinen"]


def generate(rows: int, today: date, rng: random.Random) -> tuple[str, dict[str, int]]:
    """The export: one row per visit (or per client without visits), as a salon system
    exports its history. Returns the text and what went into it."""
    out = [HEADER]
    people: list[tuple[str, str, str | None]] = []
    made = {"bad": 0, "repeat_visit": 0, "with_visit": 0}
    while len(out) - 1 < rows:
        n = len(out)
        roll = rng.random()
        if roll < 0.005:  # a few bad rows: a broken phone, no name, a date that is not one
            out.append(
                rng.choice(
                    [
                        f"Virhe {n};12345;;;;;;;",
                        f";040{7000000 + n};;;;;;;",
                        f"Päiväys {n};+358 40 {8000000 + n};;;31.2.2025;;;;",
                    ]
                )
            )
            made["bad"] += 1
            continue
        if people and roll < 0.20:  # another visit of someone already in the file
            name, phone, email = rng.choice(people)
            made["repeat_visit"] += 1
        else:
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
            phone = f"040 {1000000 + n}"
            email = f"asiakas{n}@example.com" if rng.random() < 0.7 else None
            people.append((name, phone, email))
        visit = birthday = ""
        service = price = staff = notes = ""
        if rng.random() < 0.75:
            day = today - timedelta(days=rng.randint(1, 700))
            visit = f"{day.day}.{day.month}.{day.year} {rng.randint(9, 18)}:{rng.choice(('00', '30'))}"
            service = rng.choice(SERVICES)
            price = f"{rng.randint(30, 150)},{rng.choice(('00', '50'))}"
            staff = rng.choice(STAFF)
            made["with_visit"] += 1
        if rng.random() < 0.3:
            birthday = f"{rng.randint(1, 28)}.{rng.randint(1, 12)}.{rng.randint(1950, 2005)}"
        if rng.random() < 0.1:
            notes = "Herkkä päänahka"
        out.append(";".join([name, phone, email or "", birthday, visit, service, price, staff, notes]))
    return "\r\n".join(out) + "\r\n", made


class Api:
    def __init__(self, base: str, token: str):
        self.base, self.token = base, token
        self.longest = (0.0, "")
        self.requests = 0

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.base + "/api/v1/admin" + path,
            data=data,
            method=method,
            headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
        )
        t0 = time.perf_counter()
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        elapsed = time.perf_counter() - t0
        self.requests += 1
        if elapsed > self.longest[0]:
            self.longest = (elapsed, f"{method} {path.split('/')[1]}{'/run' if path.endswith('/run') else ''}")
        return status, json.loads(raw or b"{}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()

    today = date.today()
    text, made = generate(args.rows, today, random.Random(10_000))
    upload = {"csv_base64": base64.b64encode(text.encode("cp1252")).decode(), "stamps": True}
    print(f"file: {args.rows} rows, {len(text.encode('cp1252')) / 1e6:.2f} MB (cp1252), {made}")

    with scratch_stack("rebook-bench-import-", timeout=120) as stack:
        import subprocess

        token = subprocess.run(
            [sys.executable, "-m", "scripts.rebook_cli", "owner-token", "demo"],
            env=stack.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        api = Api(stack.api, token)
        status, _ = api.call("GET", "/me")
        assert status == 200, status
        api.longest, api.requests = (0.0, ""), 0

        t0 = time.perf_counter()
        status, preview = api.call("POST", "/imports", upload)
        assert status == 201, preview
        previewed = time.perf_counter() - t0
        dry = preview["dry_run"]
        print(
            f"dry run in {previewed:.1f} s: create {dry['create']}, merge {dry['merge']}, visits {dry['visits']}, "
            f"rejected {dry['rejected_total']} (e.g. row {dry['rejected'][0]['row']}: {dry['rejected'][0]['reason']})"
        )
        status, state = api.call("POST", f"/imports/{preview['id']}/run")
        assert status == 202, state
        while state["status"] == "running":
            time.sleep(0.5)
            status, state = api.call("POST", f"/imports/{preview['id']}/run")
            assert status in (200, 202), state
        total = time.perf_counter() - t0
        assert state["status"] == "done", state
        status, state = api.call("GET", f"/imports/{preview['id']}")
        print(
            f"done in {total:.1f} s ({api.requests} requests): created {state['created']}, merged {state['merged']}, "
            f"visits {state['visits']}, rejected {state['rejected_total']}, rows {state['done_rows']}/{state['total_rows']}"
        )
        assert (state["created"], state["merged"], state["visits"]) == (dry["create"], dry["merge"], dry["visits"])
        print(f"longest request: {api.longest[1]} {api.longest[0]:.2f} s")
    print(f"bench: import_clients_s={total:.1f} max_request_s={api.longest[0]:.2f} rows={args.rows}")


if __name__ == "__main__":
    main()
