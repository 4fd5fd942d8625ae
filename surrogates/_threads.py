"""BLAS on one thread for a block of small matrix products.

Waking a BLAS thread pool for each small product gains little on an idle
machine, and its threads spin while they wait: on a busy one they cost several
times the product (the counterfactual search's model calls, the Gram tiles of
``prototypes``, which run on threads of their own)."""

from __future__ import annotations

_CONTROLLER: list = []


def one_blas_thread():
    """A context manager limiting BLAS to one thread (threadpoolctl comes with
    scikit-learn). The controller is built once: its scan of the loaded libraries
    costs about a millisecond."""
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0].limit(limits=1, user_api="blas")
