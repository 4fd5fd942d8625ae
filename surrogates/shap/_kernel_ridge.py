"""Kernel SHAP adjusted by a kernel ridge fit of the game's pair and triple terms.

Used with a fixed budget where the explicit cubic adjustment (M + C(M,2) +
C(M,3) terms) is not: above M = 17, or with too few coalitions for it. The game on the sampled coalitions is fitted as
    v(z) = z . beta + h(z),   h(z) = sum_k alpha_k K(z_k, z),
    K(z, z') = C(m, 2) + A3 C(m, 3),  m = |z & z'|,
which is ridge regression on every pair and triple indicator (pairs weighted 1,
triples A3), with the linear part unpenalized, under the kernel weights and the
efficiency constraint sum(beta) + h(1) = v(1) - v(0). The values are the exact
Shapley values of the fit: beta plus those of h, and K(z_k, .) is a symmetric
game on the members of z_k, so each member gets K(z_k, 1) / |z_k|. As with the
cubic, the linear part is Kernel SHAP on the residual game v - h (Witter et
al. 2025, least-squares form), so h only has to take out part of the
third-order mass to cut the error.

The estimate is a linear smoother of the sampled values, phi = S y + s T, so its
standard error is the sandwich over coalition pairs of S times the residuals,
with leverage-corrected (HC3) residuals and the same degrees-of-freedom factor
as the cubic (trace of the hat matrix). The ridge is the smallest of LAMBDAS
that leaves 1 - MAX_DF of the coalitions as residual degrees of freedom;
A3 and LAMBDAS were chosen on two black boxes (MLP, HistGB) at M = 16 and 40.

Kernels measured worse at M = 40 (RMSE against the benchmark's reference, 4 seeds,
532-2,128 coalitions): all orders with geometric weights, K = sum_k rho^(k-2) C(m, k)
(rho = 0.1: 0.91-1.25x the error, lower only for the MLP at 2,128; rho = 0.3:
1.35-1.7x); pairs and triples weighted per row by each feature's |value| from this
fit (0.94-1.07x), or by its square (1.01-1.22x). Higher orders cannot be resolved
from a few thousand coalitions at M = 40.
"""

from __future__ import annotations

import numpy as np

A3 = 0.1  # weight of the triple terms relative to the pairs
LAMBDAS = (1e-4, 1e-3, 1e-2, 1e-1)  # ridges tried, against the kernel weights (lambda / w_k)
MAX_DF = 0.65  # share of the fitted coalitions the fit may use as degrees of freedom: above,
# the (n / (n - df))^2 factor made the SE 5-10x conservative (M = 8, 63 coalitions)


def _kern(m: np.ndarray) -> np.ndarray:
    return m * (m - 1) / 2 + A3 * m * (m - 1) * (m - 2) / 6


_CACHE: dict = {}  # the last design's smoother: every block of rows shares the coalitions


def _smoother(ZE, wE, ZS, m_sampled):
    """The smallest ridge of LAMBDAS whose fit uses at most MAX_DF of the points as
    degrees of freedom (None if none does); cached for the next block of rows."""
    key = (ZE.tobytes(), wE.tobytes(), ZS.tobytes(), float(m_sampled), LAMBDAS, A3, MAX_DF)
    hit = _CACHE.get("last")  # one (key, value) tuple: atomic for threaded dask workers
    if hit is not None and hit[0] == key:
        return hit[1]
    value = None
    for lam_rel in LAMBDAS:
        sm = _smoother_at(ZE, wE, ZS, m_sampled, lam_rel)
        if sm["h"][: sm["f"]].sum() <= MAX_DF * sm["n"]:
            value = sm
            break
    _CACHE["last"] = (key, value)
    return value


def _smoother_at(ZE, wE, ZS, m_sampled, lam_rel):
    """Everything that depends on the coalitions only, for one ridge."""
    M = ZE.shape[1]
    P = ZS.shape[0]
    c = 0.5 * m_sampled / P
    # the grand coalition is a fitted point (index f): its kernel column K(., 1)
    # is then in the span of h, and the efficiency constraint has a closed form
    Z = np.concatenate([ZE, ZS, ~ZS, np.ones((1, M), dtype=bool)]).astype(np.float64)
    w = np.concatenate([wE, np.full(2 * P, c), [wE.max()]])
    n = len(Z)
    f = n - 1
    size = Z.sum(axis=1)
    K = _kern(Z @ Z.T)
    k1 = K[:, f]  # K(z_k, 1)
    lam = lam_rel / w
    A = np.linalg.inv(K + np.diag(lam))
    A = 0.5 * (A + A.T)
    AZ = A @ Z
    Qi = np.linalg.inv(Z.T @ AZ)
    B0 = Qi @ AZ.T  # unconstrained GLS of y on Z under covariance K + Lambda
    # KKT of min |y - Z b - K a|_W^2 + lambda a'Ka  s.t.  1'b + k1'a = T:
    # a = A (y - Z b) - mu A e_f / w_f and Z'a = 0, so b = B0 y - mu b1
    b1 = Qi @ AZ[f] / w[f]
    a1 = A[:, f] / w[f] - AZ @ b1
    Ak1 = A @ k1
    den = b1.sum() + k1 @ a1
    mu_y = (B0.sum(axis=0) + Ak1 - Ak1 @ (Z @ B0)) / den  # mu = mu_y . y - T / den
    g = np.where(size > 0, k1 / np.maximum(size, 1.0), 0.0)
    AZg = A @ (Z * g[:, None])  # (n, M)
    # phi = beta + Zg' alpha = S y + s T
    u = b1 + (Z * g[:, None]).T @ a1
    S = B0 + AZg.T - (AZg.T @ Z) @ B0 - np.outer(u, mu_y)
    s = u / den
    # leverages of the fitted points (HC3) and the degrees of freedom used
    h = 1.0 - lam * (np.diag(A) - np.einsum("ij,ji->i", AZ, B0) - a1 * mu_y)
    value = dict(Z=Z, n=n, f=f, lam=lam, A=A, B0=B0, b1=b1, mu_y=mu_y, den=den, S=S, s=s, h=h)
    value["af"] = A[:, f] / w[f]
    return value


def solve_ridge(ZE, wE, YE, ZS, YS, YSc, m_sampled, T):
    """Same contract as kernel._solve: phi (R, M, O) and SE (R, M, O); None when the
    sample is too small for the adjustment (over MAX_DF of it used as degrees of freedom)."""
    R, _, n_out = YE.shape
    M = ZE.shape[1]
    P = ZS.shape[0]
    sm = _smoother(ZE, wE, ZS, m_sampled)
    if sm is None:
        # too few coalitions even for the largest ridge: the fit would interpolate
        # and its SE be mostly degrees-of-freedom factor; the caller falls back
        return None
    Z, n, f, lam, A, S, s, h = (sm[k] for k in ("Z", "n", "f", "lam", "A", "S", "s", "h"))
    Y = (
        np.concatenate([YE, YS, YSc, T[:, None, :]], axis=1)
        .transpose(1, 0, 2)
        .reshape(n, R * n_out)
    )
    t = T.reshape(R * n_out)
    phi = (S @ Y + np.outer(s, t)).T.reshape(R, n_out, M)
    # residuals of the sampled points: y - yhat = (lambda / w) alpha
    mu = sm["mu_y"] @ Y - t / sm["den"]
    beta = sm["B0"] @ Y - np.outer(sm["b1"], mu)
    alpha = A @ (Y - Z @ beta) - np.outer(sm["af"], mu)
    resid = lam[:, None] * alpha
    df = float(h[:f].sum())
    rs = resid / np.maximum(1.0 - h, 0.05)[:, None]
    iS = np.arange(len(ZE), len(ZE) + P)
    iC = iS + P
    # influence of each pair: S[:, k] r_k summed over its two coalitions -> (R * n_out, P, M)
    U = rs[iS].T[:, :, None] * S[:, iS].T[None] + rs[iC].T[:, :, None] * S[:, iC].T[None]
    U -= U.mean(axis=1, keepdims=True)
    var = (U**2).sum(axis=1) * P / (P - 1)
    var *= (n / max(n - df, 1.0)) ** 2
    se = np.sqrt(var).reshape(R, n_out, M)
    return phi.transpose(0, 2, 1), se.transpose(0, 2, 1)
