"""The theory of GANs on a 1D grid: pure NumPy, no torch, no UI.

Densities are arrays sampled on a sorted grid ``x``; integrals use the trapezoid
rule on that grid. The conventions make the edge cases exact rather than NaN:
``0 * log 0 = 0``, ``D*(x) = 1/2`` where both densities vanish, and a KL
divergence whose support condition fails is ``+inf`` (that is its true value).

Identities that hold for any pair of densities normalised on the same grid::

    V(D*, G) = 2 * JS(p_data || p_g) - 2 log 2          (Goodfellow et al. 2014, Thm. 1)
    min over p_g of V(D*, G) = -2 log 2 = -log 4, reached at p_g = p_data

The parts: :mod:`~gancore.theory.numerics` (trapezoid integrals, ``xlogy``),
:mod:`~gancore.theory.densities` (densities and grids), :mod:`~gancore.theory.divergences`
(D*, V, KL, JS, W1), :mod:`~gancore.theory.losses` (the pointwise argmax, cross-entropy, the
generator losses) and :mod:`~gancore.theory.morph` (moving G toward the data). Every public
name is importable from ``gancore.theory`` itself.
"""

from gancore.theory.densities import (
    MAX_GRID,
    Density1D,
    default_view,
    gaussian_mixture,
    make_grid,
    on_grid,
    uniform,
)
from gancore.theory.divergences import (
    Divergences,
    density_ratio,
    divergences,
    js_and_w1_vs_shift,
    js_divergence,
    kl_divergence,
    optimal_discriminator,
    value_function,
    value_integrand,
    value_monte_carlo,
    wasserstein1,
)
from gancore.theory.losses import (
    binary_cross_entropy,
    generator_losses,
    pointwise_argmax,
    pointwise_derivative,
    pointwise_objective,
)
from gancore.theory.morph import morph, morph_path, value_along_morph
from gancore.theory.numerics import LOG2, LOG4, cumulative, integrate, xlogy

__all__ = [
    "LOG2",
    "LOG4",
    "MAX_GRID",
    "Density1D",
    "Divergences",
    "binary_cross_entropy",
    "cumulative",
    "default_view",
    "density_ratio",
    "divergences",
    "gaussian_mixture",
    "generator_losses",
    "integrate",
    "js_and_w1_vs_shift",
    "js_divergence",
    "kl_divergence",
    "make_grid",
    "morph",
    "on_grid",
    "optimal_discriminator",
    "pointwise_argmax",
    "pointwise_derivative",
    "pointwise_objective",
    "uniform",
    "value_along_morph",
    "morph_path",
    "value_monte_carlo",
    "value_function",
    "value_integrand",
    "wasserstein1",
    "xlogy",
]
