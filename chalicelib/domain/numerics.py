"""Numerics the return model needs, in pure Python (no numpy or scipy on the request
path): Student's t, the incomplete beta function, Nelder-Mead and golden-section search."""

from __future__ import annotations

import math
from collections.abc import Callable


def golden(f: Callable[[float], float], lo: float, hi: float, tol: float = 0.01) -> float:
    """The minimum of a unimodal f on [lo, hi], by golden-section search."""
    ratio = (math.sqrt(5.0) - 1.0) / 2.0
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = f(a), f(b)
    while hi - lo > tol:
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = f(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = f(b)
    return (lo + hi) / 2.0


def normal_pdf(y: float, mu: float, sigma: float) -> float:
    z = (y - mu) / sigma
    return math.exp(-0.5 * z * z) / (sigma * math.sqrt(2.0 * math.pi))


def clip(x: float) -> float:
    return min(1.0, max(0.0, x))


def bound(x: float, low: float, high: float) -> float:
    return min(high, max(low, x))


def logit(p: float) -> float:
    return math.log(p / (1.0 - p))


def log_beta(a: float, b: float) -> float:
    return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)


def t_logpdf(t: float, df: float) -> float:
    """log density of Student's t with df degrees of freedom (standard scale)."""
    return (
        math.lgamma((df + 1.0) / 2.0)
        - math.lgamma(df / 2.0)
        - 0.5 * math.log(df * math.pi)
        - (df + 1.0) / 2.0 * math.log1p(t * t / df)
    )


def t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with df degrees of freedom."""
    tail = 0.5 * betainc(df / 2.0, 0.5, df / (df + t * t))
    return tail if t > 0 else 1.0 - tail


def betainc(a: float, b: float, x: float) -> float:
    """Regularized incomplete beta I_x(a, b), by its continued fraction (Lentz)."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    if x > (a + 1.0) / (a + b + 2.0):  # the fraction converges fast on this side only
        return 1.0 - betainc(b, a, 1.0 - x)
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - log_beta(a, b)) / a
    tiny, c, d = 1e-300, 1.0, 1.0 - (a + b) * x / (a + 1.0)
    d = 1.0 / (d if abs(d) > tiny else tiny)
    f = d
    for m in range(1, 300):
        for num in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1.0 + num * d
            d = 1.0 / (d if abs(d) > tiny else tiny)
            c = 1.0 + num / c
            c = c if abs(c) > tiny else tiny
            f *= c * d
        if abs(c * d - 1.0) < 1e-12:
            break
    return front * f


def nelder_mead(
    f: Callable[[list[float]], float], x0: list[float], step: float = 0.5, max_iter: int = 400, tol: float = 1e-6
) -> list[float]:
    """Minimise f from x0 with the Nelder-Mead simplex (standard coefficients)."""
    n = len(x0)
    simplex = [list(x0)] + [[xi + (step if i == j else 0.0) for j, xi in enumerate(x0)] for i in range(n)]
    values = [f(x) for x in simplex]
    for _ in range(max_iter):
        order = sorted(range(n + 1), key=values.__getitem__)
        simplex, values = [simplex[i] for i in order], [values[i] for i in order]
        if values[-1] - values[0] <= tol * (1.0 + abs(values[0])):
            break
        centroid = [sum(x[j] for x in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]

        reflected = _towards(centroid, worst, -1.0)
        fr = f(reflected)
        if fr < values[0]:
            expanded = _towards(centroid, worst, -2.0)
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            contracted = _towards(centroid, worst, 0.5) if fr >= values[-1] else _towards(centroid, worst, -0.5)
            fc = f(contracted)
            if fc < min(fr, values[-1]):
                simplex[-1], values[-1] = contracted, fc
            else:  # shrink everything towards the best point
                best = simplex[0]
                simplex = [best] + [[b + 0.5 * (xi - b) for b, xi in zip(best, x)] for x in simplex[1:]]
                values = [values[0]] + [f(x) for x in simplex[1:]]
    return simplex[min(range(n + 1), key=values.__getitem__)]


def _towards(centroid: list[float], worst: list[float], coef: float) -> list[float]:
    """The point coef of the way from the centroid to the worst vertex (negative: beyond)."""
    return [c + coef * (w - c) for c, w in zip(centroid, worst)]
