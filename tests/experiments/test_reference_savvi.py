"""Our always-valid tests against savvi, the reference implementation of Lindon & Malek's anytime-valid
inference (savvi.Multinomial is their sample-ratio test; savvi.LinearRegression's Bayes factor and
confidence sequence are the t-mixture whose limit for many degrees of freedom is our normal mixture)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from savvi.linear_regression import LinearRegression, log_bf
from savvi.multinomial import Multinomial

from experiments.statistics import SRM_PRIOR_STRENGTH, half_width, mixture_ratio, sample_ratio

MANY = 1e8
"""Degrees of freedom at which savvi's t-mixture is the normal mixture to 1e-6."""


@pytest.mark.parametrize(("b", "c", "share"), [(9_500, 500, 0.0625), (9_000, 1_100, 0.125), (4_980, 5_020, 0.5)])
def test_the_sample_ratio_bayes_factor_is_savvis_multinomial_test(b: int, c: int, share: float) -> None:
    reference = Multinomial(0.001, np.array([1 - share, share]), k=SRM_PRIOR_STRENGTH)
    reference.update(np.array([b, c]))
    assert sample_ratio(b, c, share).p_value == pytest.approx(min(1.0, 1 / reference.odds), rel=1e-9)


@pytest.mark.parametrize(("theta", "v", "tau2"), [(0.03, 1e-4, 4e-4), (-0.012, 2e-5, 1e-4), (0.5, 0.04, 0.01)])
def test_the_mixture_ratio_is_savvis_bayes_factor_in_the_limit(theta: float, v: float, tau2: float) -> None:
    # savvi: r = phi / (phi + z2) is our V / (V + tau2); t2 = theta^2 / V.
    z2, phi = 1_000.0, 1_000.0 * v / tau2
    ours = math.log(mixture_ratio(theta, v, tau2))
    theirs = float(log_bf(np.array([theta * theta / v]), MANY, phi, np.array([z2]))[0])
    assert ours == pytest.approx(theirs, rel=1e-6, abs=1e-9)


class _Fixed(LinearRegression):
    """savvi's confidence sequence for one coefficient of given estimate and standard error."""

    def __init__(self, alpha: float, theta: float, v: float, tau2: float) -> None:
        self._se, self._z2 = math.sqrt(v), 1_000.0
        super().__init__(alpha, 1, phi=self._z2 * v / tau2)
        self.beta = np.array([theta])

    def standard_errors(self) -> np.ndarray:
        return np.array([self._se])

    def z2(self) -> np.ndarray:
        return np.array([self._z2])

    def nu(self) -> int:
        return int(MANY)


@pytest.mark.parametrize(("theta", "v", "tau2", "alpha"), [(0.02, 5e-5, 4e-4, 0.05), (1.0, 0.3, 0.1, 0.01)])
def test_the_confidence_sequence_is_savvis_in_the_limit(theta: float, v: float, tau2: float, alpha: float) -> None:
    (low, high), *_ = _Fixed(alpha, theta, v, tau2).calculate_conf_int()
    assert half_width(v, tau2, alpha) == pytest.approx((high - low) / 2, rel=1e-5)
