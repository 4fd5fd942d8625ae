"""Attributions for torch models (optional: torch is imported on first use).

Tabular input (n_rows, n_features) gives a ``glassbox.explanation.LocalExplanation``;
input with more axes (images N x C x H x W) gives a ``NeuralExplanation`` with the same
fields whose ``values`` keep the input's shape.
"""

from ._torch import NeuralExplanation
from .gradients import gradient_x_input, saliency, smoothgrad
from .integrated import integrated_gradients
from .occlusion import occlusion

__all__ = [
    "NeuralExplanation",
    "gradient_x_input",
    "integrated_gradients",
    "occlusion",
    "saliency",
    "smoothgrad",
]
