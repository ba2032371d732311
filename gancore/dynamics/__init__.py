"""Training dynamics of the Dirac-GAN (Mescheder, Geiger & Nowozin, ICML 2018), in pure NumPy.

`field` holds the game: the hand-derived vector field of every loss and regularizer, and
gradient descent on it (`simulate`); `linear` holds the equilibrium's eigenvalues and the
verdict they give (converges, cycles, diverges, stalls).
"""

from gancore.dynamics.field import (
    BLOWUP,
    GP_TARGET,
    GP_WEIGHT,
    LOSSES,
    MAX_STEPS,
    MODES,
    QUADRATURE_NODES,
    REGULARIZERS,
    Game,
    field,
    game,
    simulate,
    streamlines,
    vector_field,
)
from gancore.dynamics.linear import (
    KINDS,
    TOL,
    Verdict,
    classify,
    equilibrium_eigenvalues,
    equilibrium_jacobian,
    trajectory_kind,
    update_matrix,
    verdict,
)

__all__ = [
    "BLOWUP",
    "GP_TARGET",
    "GP_WEIGHT",
    "KINDS",
    "LOSSES",
    "MAX_STEPS",
    "MODES",
    "QUADRATURE_NODES",
    "REGULARIZERS",
    "TOL",
    "Game",
    "Verdict",
    "classify",
    "equilibrium_eigenvalues",
    "equilibrium_jacobian",
    "field",
    "game",
    "simulate",
    "streamlines",
    "trajectory_kind",
    "update_matrix",
    "vector_field",
    "verdict",
]
