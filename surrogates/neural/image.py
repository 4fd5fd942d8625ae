"""Image explanations over superpixels for any classifier (Ribeiro et al. 2016; Lundberg &
Lee 2017): the image is cut into segments, a coalition of segments keeps its pixels and the
rest are replaced by a baseline image, and the classifier's score of the target class is a
game over the segments.

* ``method="shap"``: the Shapley values of that game. With at most ``max_exact`` segments
  (12 by default, 4096 masked images) every coalition is enumerated by
  ``surrogates.shap.exact_shap`` and the values add up exactly:
  sum = f(image) - f(baseline image) to rounding. Above that ``surrogates.shap.kernel_shap``
  samples coalitions (seeded, with standard errors in ``extras["standard_error"]``).
* ``method="lime"``: lime's image explainer: random on/off segment masks (the image itself
  first), weighted by an exponential kernel on the cosine distance to the full image
  (width 0.25, lime's default), fitted by ``surrogates.local``'s weighted ridge fit.

Works for any callable ``classifier(images) -> scores`` taking a batch of images with the
image's own layout (a leading batch axis added); a torch ``nn.Module`` is wrapped (inputs
in its dtype, ``eval()`` mode, no gradients). Segments come from scikit-image (SLIC,
quickshift, felzenszwalb; imported on first use), a regular grid, or your own label array.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._torch import NeuralExplanation

_SEGMENTERS = ("slic", "quickshift", "felzenszwalb", "grid")
_METHODS = ("shap", "lime")
MAX_EXACT = 12


def _is_torch_module(obj) -> bool:
    return any(
        c.__module__.startswith("torch.nn") and c.__name__ == "Module" for c in type(obj).__mro__
    )


def _as_scores_fn(classifier) -> Callable[[np.ndarray], np.ndarray]:
    """classifier -> a function of a batch of images (numpy) giving float64 scores (n, k)."""
    if _is_torch_module(classifier):
        import torch

        params = list(classifier.parameters())
        dtype = params[0].dtype if params and params[0].is_floating_point() else torch.float32
        classifier.eval()

        def fn(images):
            with torch.no_grad():
                out = classifier(torch.as_tensor(np.ascontiguousarray(images), dtype=dtype))
            return out.detach().cpu().numpy()

    elif callable(classifier):
        fn = classifier
    else:
        raise TypeError(
            f"classifier must be callable (images -> scores) or a torch nn.Module, got "
            f"{type(classifier).__name__}"
        )

    def scores(images):
        out = np.asarray(fn(images), dtype=np.float64)
        if out.ndim == 0 or out.shape[0] != len(images):
            raise ValueError(
                f"the classifier returned shape {out.shape} for {len(images)} images; it must "
                "return one score (or one row of class scores) per image"
            )
        return out.reshape(len(images), -1)

    return scores


def _channel_axis(image: np.ndarray, channel_axis):
    if channel_axis is not None:
        ax = int(channel_axis) % image.ndim
        if image.ndim != 3:
            raise ValueError(f"channel_axis given but the image has shape {image.shape}")
        return ax
    if image.ndim == 2:
        return None
    if image.ndim != 3:
        raise ValueError(
            f"image must be (H, W), (C, H, W) or (H, W, C); got shape {image.shape}. Pass one "
            "image, not a batch"
        )
    # torch's layout (C, H, W) when the first axis is small and the last is not
    if image.shape[0] <= 4 and image.shape[-1] > 4:
        return 0
    return 2


def _spatial(image, cax):
    """The image as (H, W, C) for scikit-image, and a function back to its own layout."""
    if cax is None:
        return image[:, :, None]
    return np.moveaxis(image, cax, -1)


def _grid(H: int, W: int, n_segments: int) -> np.ndarray:
    rows = max(1, int(round(np.sqrt(n_segments * H / W))))
    cols = max(1, int(round(n_segments / rows)))
    r = np.minimum(np.arange(H) * rows // H, rows - 1)
    c = np.minimum(np.arange(W) * cols // W, cols - 1)
    return r[:, None] * cols + c[None, :]


def segment_image(
    image: Any,
    segments: str | np.ndarray = "slic",
    *,
    n_segments: int = 10,
    channel_axis: int | None = None,
    random_state: int | None = None,
    **kwargs: Any,
) -> np.ndarray:
    """Superpixel labels (H, W), numbered 0..M-1.

    "slic" (``n_segments``, compactness 10 unless given), "quickshift" (kernel_size 4,
    max_dist 200 unless given) and "felzenszwalb" (scale 100 unless given) are
    scikit-image's; "grid" cuts the image into about ``n_segments`` rectangles; an int
    array of shape (H, W) is taken as given (relabelled 0..M-1). ``kwargs`` go to
    scikit-image."""
    img = np.asarray(image, dtype=float)
    cax = _channel_axis(img, channel_axis)
    hwc = _spatial(img, cax)
    H, W = hwc.shape[:2]
    if not isinstance(segments, str):
        seg = np.asarray(segments)
        if seg.shape != (H, W) or not np.issubdtype(seg.dtype, np.integer):
            raise ValueError(
                f"segments must be one of {_SEGMENTERS} or an int array of shape {(H, W)}, "
                f"got {seg.dtype} array of shape {seg.shape}"
            )
        return np.unique(seg, return_inverse=True)[1].reshape(H, W)
    if segments not in _SEGMENTERS:
        raise ValueError(
            f"segments must be one of {_SEGMENTERS} or a label array, got {segments!r}"
        )
    if not isinstance(n_segments, (int, np.integer)) or n_segments < 1:
        raise ValueError(f"n_segments must be a positive int, got {n_segments!r}")
    if segments == "grid":
        return _grid(H, W, int(n_segments))
    try:
        import skimage.segmentation as ss
    except ImportError as exc:  # an optional dependency, needed only for superpixels
        raise ImportError(
            f"segments={segments!r} needs scikit-image (pip install scikit-image); "
            "segments='grid' or your own label array work without it"
        ) from exc
    # scikit-image expects intensities on a common scale: rescale to [0, 1]
    lo, hi = float(hwc.min()), float(hwc.max())
    unit = (hwc - lo) / (hi - lo) if hi > lo else np.zeros_like(hwc)
    if segments == "slic":
        kw = {"compactness": 10.0, "start_label": 0, **kwargs}
        if unit.shape[2] == 1:
            seg = ss.slic(unit[:, :, 0], n_segments=int(n_segments), channel_axis=None, **kw)
        else:
            seg = ss.slic(unit, n_segments=int(n_segments), channel_axis=-1, **kw)
    elif segments == "quickshift":
        rgb = np.repeat(unit, 3, axis=2) if unit.shape[2] == 1 else unit[:, :, :3]
        kw = {"kernel_size": 4, "max_dist": 200, "ratio": 0.2, **kwargs}
        seed = 42 if random_state is None else int(random_state)
        seg = ss.quickshift(rgb, rng=seed, **kw)
    else:
        kw = {"scale": 100, "sigma": 0.5, "min_size": 5, **kwargs}
        if unit.shape[2] == 1:
            seg = ss.felzenszwalb(unit[:, :, 0], channel_axis=None, **kw)
        else:
            seg = ss.felzenszwalb(unit, channel_axis=-1, **kw)
    return np.unique(seg, return_inverse=True)[1].reshape(H, W)


def _baseline_image(img, cax, baseline):
    if isinstance(baseline, str):
        if baseline == "mean":  # each channel at its mean: a flat image of the mean colour
            if cax is None:
                return np.full_like(img, img.mean())
            return np.broadcast_to(
                img.mean(axis=tuple(a for a in range(3) if a != cax), keepdims=True), img.shape
            ).copy()
        if baseline == "blur":
            from scipy.ndimage import gaussian_filter

            sigma = [0.0 if a == cax else max(img.shape[a] / 8.0, 1.0) for a in range(img.ndim)]
            return gaussian_filter(img, sigma=sigma, mode="nearest")
        raise ValueError(f"baseline must be 'mean', 'blur', a number or an image, got {baseline!r}")
    b = np.asarray(baseline, dtype=float)
    if b.ndim == 0:
        return np.full_like(img, float(b))
    try:
        b = np.broadcast_to(b, img.shape).copy()
    except ValueError:
        raise ValueError(
            f"baseline has shape {b.shape}; expected a number or an image of shape {img.shape}"
        ) from None
    if not np.isfinite(b).all():
        raise ValueError("baseline contains NaN or infinite values")
    return b


def explain_image(
    classifier: Any,
    image: Any,
    *,
    segments: str | np.ndarray = "slic",
    n_segments: int = 10,
    method: str = "shap",
    baseline: str | float | np.ndarray = "mean",
    target: int | None = None,
    n_samples: int | str = "auto",
    batch_size: int = 256,
    max_exact: int = MAX_EXACT,
    channel_axis: int | None = None,
    kernel_width: float = 0.25,
    alpha: float = 1.0,
    random_state: int | None = None,
    **segment_kwargs: Any,
) -> NeuralExplanation:
    """Explain one image by superpixels.

    Parameters
    ----------
    classifier : callable or torch nn.Module
        ``classifier(images) -> scores``: images a numpy batch (n, *image.shape), scores
        (n,) or (n, n_classes). Any model: nothing but its outputs is used.
    image : array of shape (H, W), (C, H, W) or (H, W, C)
        One image (the channel axis is guessed, or given by ``channel_axis``).
    segments : "slic", "quickshift", "felzenszwalb", "grid" or int array (H, W)
        How to cut the image (see ``segment_image``); extra keyword arguments go to
        scikit-image.
    method : "shap" or "lime"
    baseline : "mean", "blur", number or image
        What a left-out segment shows: the image's mean colour, a Gaussian blur of it
        (sigma = 1/8 of the side), a constant, or an image of the same shape.
    target : int or None
        Score column explained; None takes the classifier's top class for the image.
    n_samples : int or "auto"
        Coalitions for kernel SHAP (above ``max_exact`` segments; "auto" stops at its
        standard-error target) or masked images for LIME ("auto" = 1000).
    batch_size : int
        Masked images per classifier call.
    max_exact : int
        Largest number of segments whose 2^M coalitions are enumerated (exact Shapley).
    random_state : int or None
        Seed of the sampling (kernel SHAP, LIME, quickshift).

    Returns
    -------
    NeuralExplanation
        ``values`` (1, *image.shape): each segment's value spread evenly over its pixels
        (and channels), so values sum to the segment values' sum; ``base_values`` (1,):
        f(baseline image) for SHAP (values + base = f(image)), f(image) - sum(values) for
        LIME. ``extras``: ``segments`` (H, W), ``segment_values`` (M,), ``output``
        f(image), ``baseline_output``, ``baseline_image``, ``target``, ``exact`` and
        ``n_evaluations``; kernel SHAP adds ``standard_error``, LIME ``score`` (weighted R^2).
    """
    if method not in _METHODS:
        raise ValueError(f"method must be one of {_METHODS}, got {method!r}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    if not isinstance(max_exact, (int, np.integer)) or not 1 <= max_exact <= 16:
        raise ValueError(f"max_exact must be an int in [1, 16], got {max_exact!r}")
    if not (n_samples == "auto" or (isinstance(n_samples, (int, np.integer)) and n_samples > 0)):
        raise ValueError(f"n_samples must be 'auto' or a positive int, got {n_samples!r}")
    if hasattr(image, "detach"):  # a torch tensor
        image = image.detach().cpu().numpy()
    try:
        img = np.asarray(image, dtype=float)
    except (TypeError, ValueError) as exc:
        raise TypeError("image must be a numeric array") from exc
    if not np.isfinite(img).all():
        raise ValueError("image contains NaN or infinite values")
    cax = _channel_axis(img, channel_axis)
    seg = segment_image(
        img, segments, n_segments=n_segments, channel_axis=cax, random_state=random_state,
        **segment_kwargs,
    )  # fmt: skip
    M = int(seg.max()) + 1
    base_img = _baseline_image(img, cax, baseline)
    scores = _as_scores_fn(classifier)
    full = scores(img[None])
    if target is None:
        col = int(np.argmax(full[0]))
    else:
        if not isinstance(target, (int, np.integer)) or not 0 <= target < full.shape[1]:
            raise ValueError(
                f"target must be an int in [0, {full.shape[1]}) (the classifier has "
                f"{full.shape[1]} outputs), got {target!r}"
            )
        col = int(target)
    # the segment map broadcast to the image's layout (channels share a segment)
    seg_img = seg if cax is None else np.expand_dims(seg, cax)
    counter = {"n": 0}

    def game(Z):
        """Target score of the image with the segments where Z is 1 kept, (K,)."""
        Z = np.asarray(Z) > 0.5
        out = np.empty(len(Z))
        for s in range(0, len(Z), int(batch_size)):
            keep = Z[s : s + int(batch_size)][:, seg_img]  # (k, *image.shape) after broadcast
            imgs = np.where(keep, img[None], base_img[None])
            out[s : s + len(keep)] = scores(imgs)[:, col]
            counter["n"] += len(keep)
        return out

    ones, zeros = np.ones((1, M)), np.zeros((1, M))
    names = tuple(f"segment {k}" for k in range(M))
    extras: dict = {}
    if method == "shap":
        from ..shap import exact_shap, kernel_shap

        exact = M <= max_exact
        if exact:
            res = exact_shap(game, ones, background=zeros, progress=False, feature_names=names)
        else:
            res = kernel_shap(
                game, ones, background=zeros, n_samples=n_samples, random_state=random_state,
                progress=False, feature_names=names,
            )  # fmt: skip
            extras["standard_error"] = np.asarray(res.extras["standard_error"])[0]
        phi = np.asarray(res.values)[0]
        f_x = float(np.asarray(res.output())[0])
        f_b = float(np.asarray(res.base_values)[0])
        base = f_b
        method_name = "exact_shap_segments" if exact else "kernel_shap_segments"
    else:
        phi, f_x, f_b, score = _lime(game, M, n_samples, kernel_width, alpha, random_state)
        base = f_x - float(phi.sum())
        extras["score"] = score
        exact = False
        method_name = "lime_segments"
    per_pixel = phi[seg] / np.bincount(seg.ravel(), minlength=M)[seg]
    if cax is not None:
        per_pixel = np.expand_dims(per_pixel, cax) / img.shape[cax]
        per_pixel = np.broadcast_to(per_pixel, img.shape)
    extras.update(
        segments=seg,
        segment_values=phi,
        output=np.array([f_x]),
        baseline_output=f_b,
        baseline_image=base_img,
        target=col,
        exact=exact,
        channel_axis=cax,
        n_evaluations=counter["n"],
    )
    return NeuralExplanation(
        values=np.array(per_pixel, dtype=float)[None],
        base_values=np.array([base]),
        data=img[None],
        feature_names=tuple(str(s) for s in img.shape),
        output_names=(f"class {col}",),
        link="identity",
        method=method_name,
        extras=extras,
    )


def _lime(game, M, n_samples, kernel_width, alpha, random_state):
    """lime's image explainer on the segment game, fitted by LocalSurrogate's weighted ridge."""
    from .._params import check_real
    from ..local import fit_local_linear

    alpha = check_real("alpha", alpha, low=0)
    n = 1000 if n_samples == "auto" else int(n_samples)
    if n < 10:
        raise ValueError(f"LIME needs n_samples >= 10, got {n}")
    rng = np.random.default_rng(random_state)
    Z = rng.integers(0, 2, size=(n, M)).astype(float)
    Z[0] = 1.0  # the image itself, as lime
    norm = np.sqrt(Z.sum(axis=1))
    # cosine distance to the all-ones vector; an all-off mask is at distance 1
    dist = np.where(norm > 0, 1.0 - Z.sum(axis=1) / (np.maximum(norm, 1e-300) * np.sqrt(M)), 1.0)
    w = np.sqrt(np.exp(-(dist**2) / kernel_width**2))
    y = game(Z)
    # the fit works on offsets from the explained row (all segments on), every segment kept
    fit = fit_local_linear(Z - 1.0, w, y[None], n_features=M, alpha=alpha, method="none")
    f_b = float(game(np.zeros((1, M)))[0])
    return fit["beta"][0], float(y[0]), f_b, float(fit["score"][0])
