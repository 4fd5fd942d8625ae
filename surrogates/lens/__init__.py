"""Lenses on causal language models: the logit lens and the tuned lens.

``from surrogates.lens import logit_lens, fit_tuned_lens``. torch and transformers
are imported only when a function is called.
"""

from .logit import LogitLens, logit_lens
from .tuned import TunedLens, fit_tuned_lens

__all__ = ["LogitLens", "TunedLens", "fit_tuned_lens", "logit_lens"]
