"""bench/lapse.py keeps telling the truth: on its synthetic histories the rhythm rule
beats a fixed 60-day rule on F1 and notices fast-rhythm clients leaving sooner."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_rhythm_rule_beats_the_fixed_rule():
    out = subprocess.run(
        [sys.executable, "bench/lapse.py", "--clients", "800", "--seed", "3"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    figures = dict(re.findall(r"(\w+)=([\d.]+)", out.strip().splitlines()[-1]))
    assert float(figures["f1"]) > float(figures["f1_fixed60"])
    fast = [float(x) for x in re.findall(r"([\d.]+) for rhythms of 4 weeks or less", out)]
    assert len(fast) == 2 and fast[0] < fast[1]
