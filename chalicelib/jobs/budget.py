"""A job run's time budget: scheduled Lambdas have 30 s, a run works for 20 and leaves
the rest for the next run (docs/data-model.md, "Jobs: pages, budgets, positions")."""

from __future__ import annotations

import time

BUDGET_SECONDS = 20.0  # of the Lambda's 30 s


class Budget:
    """Time left for a run. `fits()` before each step: the first step of a run always
    fits (every run makes progress), later ones only if the slowest step so far would
    still end within the budget."""

    def __init__(self, seconds: float = BUDGET_SECONDS):
        self.seconds = seconds
        self.started = time.monotonic()
        self.steps = 0
        self.slowest = 0.0
        self._step_started: float | None = None
        self.stopped = False

    def fits(self) -> bool:
        now = time.monotonic()
        if self._step_started is not None:  # the step before this one is over
            self.slowest = max(self.slowest, now - self._step_started)
            self.steps += 1
        if self.steps and now - self.started + self.slowest > self.seconds:
            self.stopped = True
            self._step_started = None
            return False
        self._step_started = now
        return True

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started
