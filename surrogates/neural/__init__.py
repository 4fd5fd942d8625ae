"""Attributions for torch models (optional: torch is imported on first use).

Tabular input (n_rows, n_features) gives a ``glassbox.explanation.LocalExplanation``;
input with more axes (images N x C x H x W) gives a ``NeuralExplanation`` with the same
fields whose ``values`` keep the input's shape.
"""

from ._torch import NeuralExplanation
from .expected import expected_gradients
from .gradients import gradient_x_input, saliency, smoothgrad
from .image import explain_image
from .integrated import integrated_gradients
from .lrp import lrp
from .occlusion import occlusion
from .sanity import (
    PerturbationCurve,
    RandomizationResult,
    deletion_curve,
    infidelity,
    insertion_curve,
    randomization_test,
)

__all__ = [
    "NeuralExplanation",
    "PerturbationCurve",
    "RandomizationResult",
    "deletion_curve",
    "explain_image",
    "expected_gradients",
    "gradient_x_input",
    "infidelity",
    "insertion_curve",
    "integrated_gradients",
    "lrp",
    "occlusion",
    "randomization_test",
    "saliency",
    "smoothgrad",
]
