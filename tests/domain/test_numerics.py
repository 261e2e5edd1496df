"""The return model's numerics (chalicelib/domain/numerics.py), against known values."""

from __future__ import annotations

import pytest

from chalicelib.domain.numerics import golden, nelder_mead, t_sf

# Student t survival values from scipy.stats.t.sf (scipy 1.17.1), written out so that
# `make test` needs no scipy: (t, degrees of freedom, P(T > t)).
T_SURVIVAL = [
    (-40.0, 2.0, 0.9996877926639076),
    (-40.0, 3.0, 0.9999828096596054),
    (-40.0, 4.5, 0.9999996775217393),
    (-40.0, 12.0, 0.9999999999999808),
    (-40.0, 200.0, 1.0),
    (-3.2, 2.0, 0.9573295603800236),
    (-3.2, 3.0, 0.975334078518652),
    (-3.2, 4.5, 0.9860776602841286),
    (-3.2, 12.0, 0.9961837305995946),
    (-3.2, 200.0, 0.9992008231292849),
    (-0.5, 2.0, 0.6666666666666666),
    (-0.5, 3.0, 0.6742760175759245),
    (-0.5, 4.5, 0.6797252489629764),
    (-0.5, 12.0, 0.686941261887338),
    (-0.5, 200.0, 0.6911876238417696),
    (0.0, 2.0, 0.5),
    (0.0, 3.0, 0.5),
    (0.0, 4.5, 0.5),
    (0.0, 12.0, 0.5),
    (0.0, 200.0, 0.5),
    (0.4, 2.0, 0.36391723651204566),
    (0.4, 3.0, 0.35796757698718507),
    (0.4, 4.5, 0.35371409406555754),
    (0.4, 12.0, 0.3480926526963336),
    (0.4, 200.0, 0.34479170216304766),
    (1.7, 2.0, 0.11561671310078561),
    (1.7, 3.0, 0.09384532077670502),
    (1.7, 4.5, 0.07817695606794896),
    (1.7, 12.0, 0.057439932697604626),
    (1.7, 200.0, 0.04534273974574084),
    (6.0, 2.0, 0.013335736607712385),
    (6.0, 3.0, 0.004636357446142333),
    (6.0, 4.5, 0.0013207379027757914),
    (6.0, 12.0, 3.108369432429282e-05),
    (6.0, 200.0, 4.557560174405173e-09),
    (55.0, 2.0, 0.00016520733971550882),
    (55.0, 3.0, 6.619665994757206e-06),
    (55.0, 4.5, 7.713145075380202e-08),
    (55.0, 12.0, 4.2996932607016677e-16),
    (55.0, 200.0, 5.1717796055149824e-123),
]


@pytest.mark.parametrize(("t", "df", "expected"), T_SURVIVAL)
def test_t_survival_matches_scipy(t, df, expected):
    assert t_sf(t, df) == pytest.approx(expected, rel=1e-9, abs=1e-13)


def test_nelder_mead_finds_the_minimum_of_a_curved_valley():
    def rosenbrock(x):
        return (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2

    x = nelder_mead(rosenbrock, [-1.2, 1.0], max_iter=2000, tol=1e-14)
    assert x == pytest.approx([1.0, 1.0], abs=1e-3)


def test_golden_section_finds_the_minimum_of_a_unimodal_function():
    assert golden(lambda w: (w - 0.3) ** 2, 0.0, 1.0, tol=1e-6) == pytest.approx(0.3, abs=1e-5)
    assert golden(lambda w: w, 0.0, 1.0) == pytest.approx(0.0, abs=0.01)  # at the edge
