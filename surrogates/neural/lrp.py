"""Layer-wise relevance propagation (Bach et al. 2015; rules as in Montavon et al. 2019).

How the net is read: ``torch.fx.symbolic_trace`` turns the model into a graph of module
calls and tensor operations (cached per model, retraced when a submodule is replaced), so
nested ``nn.Sequential``s and custom modules whose ``forward`` adds a skip connection
(``return x + self.block(x)``, ``torch.cat``) are handled without wrapping anything. Models
with data-dependent control flow cannot be traced; those get an error saying so. The model
is not copied: while lrp runs its modules are in eval mode (flags restored afterwards) and
Linear / Conv / BatchNorm are computed in float64 from the live weights.

Relevance starts as the target output (the logit of the target class) and flows back node
by node:

* Linear, Conv1d/2d/3d (and a BatchNorm directly after one, merged into its weights and
  bias first; a BatchNorm elsewhere is its own per-channel affine layer) use the layer's
  rule. With z = the rule's layer applied to the input a and s = R / (z + epsilon sign(z)),
  the input relevance is a * (J^T s), one vector-Jacobian product:

  - ``"epsilon"``: the layer as is (``epsilon=0`` is LRP-0);
  - ``"gamma"``: weights w + gamma w+ and bias b + gamma b+;
  - ``"zplus"``: positive weights w+ and no bias (meant for non-negative inputs).

* max / average / adaptive pooling: the epsilon rule on the pooling map (max-pooling sends
  relevance to the window's winner);
* ReLU, LeakyReLU, Dropout, Identity, Flatten, Unflatten, view / reshape / flatten: relevance
  passes through unchanged (reshaped);
* addition of two tensors (residual connections): each summand gets its share a / (a + b)
  of the relevance (epsilon-stabilised); adding a constant absorbs its share like a bias;
  ``torch.cat``: each part gets its slice.

Anything else (Tanh, GELU, attention, multiplications, ...) raises a ValueError naming the
module or operation.

Conservation is checked layer by layer: for every layer above, sum(R_in) must equal
sum(R_out) - bias share - stabiliser share, where the bias share is sum(s * (z - z without
bias)) and the stabiliser share is sum(R_out) - sum(s * z) (relevance lost to epsilon and to
outputs with z = 0). A layer that breaks this (beyond 1e-8 relative) raises an error naming
it. ``extras["layers"]`` reports, per layer and row, these sums.
"""

from __future__ import annotations

import contextlib
import operator
import weakref
from typing import Any

import numpy as np

from . import _torch as T

_RULE_NAMES = ("epsilon", "gamma", "zplus")


def _kinds():
    torch = T._torch()
    nn = torch.nn
    F = torch.nn.functional
    return {
        "weighted": (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d),
        "bn": (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d),
        "pool": (
            nn.MaxPool1d,
            nn.MaxPool2d,
            nn.MaxPool3d,
            nn.AvgPool1d,
            nn.AvgPool2d,
            nn.AvgPool3d,
            nn.AdaptiveAvgPool1d,
            nn.AdaptiveAvgPool2d,
            nn.AdaptiveAvgPool3d,
            nn.AdaptiveMaxPool1d,
            nn.AdaptiveMaxPool2d,
        ),
        "through": (
            nn.ReLU,
            nn.LeakyReLU,
            nn.Dropout,
            nn.Dropout1d,
            nn.Dropout2d,
            nn.Dropout3d,
            nn.Identity,
            nn.Flatten,
            nn.Unflatten,
        ),
        "through_fn": (
            torch.flatten,
            torch.reshape,
            torch.relu,
            F.relu,
            F.leaky_relu,
            F.dropout,
            torch.squeeze,
            torch.unsqueeze,
        ),
        "through_method": (
            "view",
            "reshape",
            "flatten",
            "contiguous",
            "relu",
            "squeeze",
            "unsqueeze",
        ),
        "add_fn": (operator.add, torch.add, operator.iadd),
        "cat_fn": (torch.cat, torch.concat),
    }


_SUPPORTED = (
    "Linear, Conv1d/2d/3d, BatchNorm1d/2d/3d (eval), ReLU, LeakyReLU, max/avg/adaptive "
    "pooling, Flatten, Unflatten, Dropout, Identity, view/reshape/flatten, tensor addition "
    "(residuals), torch.cat"
)


def _check_rule(r):
    if r not in _RULE_NAMES:
        raise ValueError(f"rule must be one of {_RULE_NAMES} or a composite, got {r!r}")
    return r


def _composite(rule):
    """A list of (key, rule); key is a module name (str), a position among the Linear /
    Conv layers in forward order (int, negative from the end) or a module class."""
    if isinstance(rule, str):
        return [(None, _check_rule(rule))]
    items = list(rule.items()) if isinstance(rule, dict) else list(rule)
    out = []
    for item in items:
        if not (isinstance(item, (tuple, list)) and len(item) == 2):
            raise ValueError(
                "a composite rule is a dict or a list of (key, rule) pairs; key is a module "
                "name, a Linear/Conv index or a module class"
            )
        key, r = item
        if not isinstance(key, (str, int, np.integer, type)):
            raise ValueError(f"composite key {key!r} must be a name, an int index or a class")
        out.append((key, _check_rule(r)))
    return out


def _rule_for(comp, name, index, n_weighted, mod):
    if comp[0][0] is None:
        return comp[0][1]
    for key, r in comp:  # a name match wins, then an index, then a class
        if isinstance(key, str) and key == name:
            return r
    for key, r in comp:
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            if int(key) == index or int(key) + n_weighted == index:
                return r
    for key, r in comp:
        if isinstance(key, type) and isinstance(mod, key):
            return r
    return "epsilon"


def _bn_affine(bn):
    """scale, shift with bn(a) = scale * a + shift per channel (eval mode)."""
    torch = T._torch()
    if bn.running_var is None:
        raise ValueError(
            f"lrp cannot merge BatchNorm {bn!r}: it has no running statistics "
            "(track_running_stats=False), so its eval output depends on the batch"
        )
    scale = 1.0 / torch.sqrt(bn.running_var.detach().double() + bn.eps)
    if bn.weight is not None:
        scale = scale * bn.weight.detach().double()
    shift = -bn.running_mean.detach().double() * scale
    if bn.bias is not None:
        shift = shift + bn.bias.detach().double()
    return scale, shift


def _weights(mod, bn):
    """Weight and bias of a Linear/Conv with a following BatchNorm merged in."""
    torch = T._torch()
    w = mod.weight.detach().double()
    b = mod.bias.detach().double() if mod.bias is not None else torch.zeros(w.shape[0]).double()
    if bn is not None:
        scale, shift = _bn_affine(bn)
        w = w * scale.view(-1, *([1] * (w.ndim - 1)))
        b = b * scale + shift
    return w, b


def _modified(w, b, rule, gamma):
    if rule == "gamma":
        return w + gamma * w.clamp(min=0), b + gamma * b.clamp(min=0)
    if rule == "zplus":
        return w.clamp(min=0), None
    return w, b


def _layer_fn(mod, w, b):
    """(fn, bias): fn(a) is the (modified) layer without its bias, bias(z) the bias shaped
    to broadcast against fn's output (None when there is none)."""
    torch = T._torch()
    F = torch.nn.functional
    if isinstance(mod, torch.nn.Linear):
        return (lambda a: F.linear(a, w)), (None if b is None else (lambda z: b))

    def channel_bias(z):  # Conv / BatchNorm: one bias per channel on axis 1
        return b.view(1, -1, *([1] * (z.ndim - 2)))

    if isinstance(mod, (torch.nn.Conv1d, torch.nn.Conv2d, torch.nn.Conv3d)):
        fn = lambda a: mod._conv_forward(a, w, None)  # noqa: E731
    else:  # a standalone BatchNorm: per channel scale
        fn = lambda a: a * w.view(1, -1, *([1] * (a.ndim - 2)))  # noqa: E731
    return fn, (None if b is None else channel_bias)


def _step(fn, bias, a, R, eps):
    """One linear-type layer: input relevance and the per-row bookkeeping, from one
    forward and one backward pass of the bias-free (modified) layer."""
    torch = T._torch()
    with torch.enable_grad():
        ar = a.detach().clone().requires_grad_(True)
        z_nb = fn(ar)
        with torch.no_grad():
            z = z_nb.detach() if bias is None else z_nb + bias(z_nb)
            stab = z + eps * torch.where(z >= 0, 1.0, -1.0).to(z.dtype)
            s = torch.where(stab == 0, torch.zeros_like(R), R / torch.where(stab == 0, 1.0, stab))
        (c,) = torch.autograd.grad(z_nb, ar, grad_outputs=s)
    z_nb = z_nb.detach()
    R_in = a * c
    n = a.shape[0]
    out_sum = R.reshape(n, -1).sum(1)
    in_sum = R_in.reshape(n, -1).sum(1)
    bias_sum = (s * (z - z_nb)).reshape(n, -1).sum(1)
    lost = out_sum - (s * z).reshape(n, -1).sum(1)
    return R_in, (out_sum, in_sum, bias_sum, lost)


# traced graphs, per model; reused while the model's modules are the same objects (the
# graph holds references to them, so weights are always read live)
_GRAPHS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextlib.contextmanager
def _eval_mode(model):
    """The model in eval mode (Dropout off, BatchNorm on running statistics), each module's
    own flag restored afterwards: lrp explains the deployed network."""
    flags = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        yield
    finally:
        for m, flag in flags:
            m.training = flag


def _trace(model):
    torch = T._torch()
    from torch import fx

    key = tuple((name, id(m), type(m)) for name, m in model.named_modules())
    hit = _GRAPHS.get(model)
    if hit is not None and hit[0] == key:
        return hit[1]
    root = model
    if fx.Tracer().is_leaf_module(model, ""):  # a bare nn.Linear etc.: trace it as a layer
        root = torch.nn.Sequential(model)
    try:
        gm = fx.symbolic_trace(root)
    except Exception as exc:  # fx raises many types; the user needs one clear message
        raise ValueError(
            "lrp reads the network with torch.fx.symbolic_trace, which failed on this model "
            f"({type(exc).__name__}: {exc}); models with data-dependent control flow in "
            "forward cannot be traced"
        ) from exc
    _GRAPHS[model] = (key, gm)
    return gm


def _forward_interpreter(K):
    """An fx Interpreter that runs Linear / Conv / BatchNorm in float64 from the live
    float32 (or any dtype) weights, so the model itself is neither copied nor cast."""
    torch = T._torch()
    from torch import fx

    class Forward(fx.Interpreter):
        def call_module(self, target, args, kwargs):
            mod = self.fetch_attr(target)
            if isinstance(mod, K["weighted"]):
                w, b = _weights(mod, None)
                if isinstance(mod, torch.nn.Linear):
                    return torch.nn.functional.linear(args[0], w, b)
                return mod._conv_forward(args[0], w, b)
            if isinstance(mod, K["bn"]):
                scale, shift = _bn_affine(mod)
                shp = (1, -1, *([1] * (args[0].ndim - 2)))
                return args[0] * scale.view(shp) + shift.view(shp)
            return super().call_module(target, args, kwargs)

    return Forward


def lrp(
    model: Any,
    X: Any,
    target: Any = None,
    rule: str | dict | list = "epsilon",
    epsilon: float = 1e-6,
    gamma: float = 0.25,
    batch_size: int | None = None,
):
    """Layer-wise relevance propagation of the target output down to the input.

    Parameters
    ----------
    model : torch nn.Module, traceable by torch.fx (see the module doc for what it may hold)
    X : tensor or array (n_rows, ...)
    target : int, per-row ints, a function of the output, or None (the predicted class; the
        only output when there is one). The relevance starts as that output's value. For a
        function g (one value per row, e.g. ``lambda out: out[:, 1] - out[:, 0]``) it starts
        as ``out * dg/dout``, which sums to g(out) when g is linear without a constant (the
        usual case: a logit or a difference of logits); any remainder is in ``base_values``.
    rule : "epsilon", "gamma", "zplus", or a composite: a dict or list of (key, rule) where
        key is a module's qualified name (as in ``model.named_modules()``), an int position
        among the Linear/Conv layers in forward order (0 first, -1 last) or a module class;
        a name match wins over an index, an index over a class; unmatched layers use
        "epsilon". Pooling and additions always use the epsilon rule.
    epsilon : float, default 1e-6
        Stabiliser in every denominator (0 gives LRP-0; a z of exactly 0 then passes no
        relevance).
    gamma : float, default 0.25
    batch_size : rows per pass (None: all)

    Returns
    -------
    LocalExplanation (tabular) or NeuralExplanation, ``values`` the input relevance;
    ``base_values`` = output - sum(values), the relevance absorbed by biases and the
    stabiliser. ``extras``: ``output``; ``bias_absorbed``, ``epsilon_absorbed`` (per row,
    summed over layers); ``conservation_error`` (per row, the largest layer's |sum R_in -
    (sum R_out - bias - stabiliser share)|); ``layers`` (one dict per layer in forward order:
    ``name``, ``type``, ``rule`` and per-row arrays ``relevance_out``, ``relevance_in``,
    ``bias_absorbed``, ``epsilon_absorbed``, ``conservation_error``); ``target``.
    """
    T.check_model(model)
    comp = _composite(rule)
    for val, nm in ((epsilon, "epsilon"), (gamma, "gamma")):
        if not (isinstance(val, (int, float, np.integer, np.floating)) and np.isfinite(val)
                and val >= 0):  # fmt: skip
            raise ValueError(f"{nm} must be a finite number >= 0, got {val!r}")
    x = T.as_input(model, X)
    with _eval_mode(model):  # the predicted class too is the eval-mode one
        tgt = T.resolve_target(model, x, target)
        return _lrp(model, x, tgt, comp, rule, float(epsilon), float(gamma), batch_size)


def _lrp(model, x, tgt, comp, rule, epsilon, gamma, batch_size):
    gm = _trace(model)
    K = _kinds()
    nodes = list(gm.graph.nodes)
    known = K["weighted"] + K["bn"] + K["pool"] + K["through"]
    for nd in nodes:  # unknown modules are refused before anything runs
        if nd.op == "call_module" and not isinstance(gm.get_submodule(nd.target), known):
            mod = gm.get_submodule(nd.target)
            raise ValueError(
                f"lrp cannot handle module {nd.target!r} of type {type(mod).__name__}; "
                f"supported: {_SUPPORTED}"
            )
    inputs = [nd for nd in nodes if nd.op == "placeholder"]
    if len(inputs) != 1:
        raise ValueError(f"lrp explains models with one input tensor; this one takes {len(inputs)}")
    # BatchNorm right after a Linear/Conv whose output feeds nothing else is merged into it
    fused, merged_bn = {}, set()
    weighted = []
    for nd in nodes:
        if nd.op != "call_module":
            continue
        mod = gm.get_submodule(nd.target)
        if isinstance(mod, K["weighted"]):
            weighted.append(nd)
        if isinstance(mod, K["bn"]):
            src = nd.args[0]
            if (
                getattr(src, "op", None) == "call_module"
                and isinstance(gm.get_submodule(src.target), K["weighted"])
                and len(src.users) == 1
            ):
                fused[src] = mod
                merged_bn.add(nd)
    index = {nd: i for i, nd in enumerate(weighted)}
    rules = {}
    for nd in weighted:
        mod = gm.get_submodule(nd.target)
        rules[nd] = _rule_for(comp, str(nd.target), index[nd], len(weighted), mod)

    x64 = x.double()
    vals, outs = [], []
    records: dict = {}
    order: list = []
    for sl in T.batches(x.shape[0], batch_size):
        v, out, rec = _propagate(gm, nodes, x64[sl], T.rows(tgt, sl), K, fused, merged_bn,
                                 rules, float(epsilon), float(gamma))  # fmt: skip
        vals.append(v.numpy())
        outs.append(out.numpy())
        for key, info in rec.items():
            if key not in records:
                records[key] = {k: [] for k in info["sums"]} | {"meta": info["meta"]}
                order.append(key)
            for k, arr in info["sums"].items():
                records[key][k].append(arr.numpy())
    values = np.concatenate(vals).astype(float)
    output = np.concatenate(outs).astype(float)
    n = len(values)
    layers = []
    pos = {nd: i for i, nd in enumerate(nodes)}
    for key in sorted(order, key=lambda nd: pos[nd]):
        r = records[key]
        entry = dict(r["meta"])
        for k in ("relevance_out", "relevance_in", "bias_absorbed", "epsilon_absorbed"):
            entry[k] = np.concatenate(r[k])
        entry["conservation_error"] = entry["relevance_in"] - (
            entry["relevance_out"] - entry["bias_absorbed"] - entry["epsilon_absorbed"]
        )
        scale = np.abs(entry["relevance_out"]) + np.abs(entry["relevance_in"]) + 1e-12
        bad = np.abs(entry["conservation_error"]) > 1e-8 * np.maximum(scale, 1.0)
        if bad.any():  # the bookkeeping identity failed: a module behaves unlike its type
            i = int(np.argmax(bad))
            raise RuntimeError(
                f"relevance not conserved at layer {entry['name']!r} ({entry['type']}), row "
                f"{i}: in {entry['relevance_in'][i]:.6g} vs out {entry['relevance_out'][i]:.6g}"
                f" - absorbed {entry['bias_absorbed'][i] + entry['epsilon_absorbed'][i]:.6g}"
            )
        layers.append(entry)
    zeros = np.zeros(n)
    extras = {
        "output": output,
        "bias_absorbed": sum((e["bias_absorbed"] for e in layers), zeros),
        "epsilon_absorbed": sum((e["epsilon_absorbed"] for e in layers), zeros),
        "conservation_error": (
            np.max([np.abs(e["conservation_error"]) for e in layers], axis=0) if layers else zeros
        ),
        "layers": layers,
        "rule": rule,
        "target": None if tgt is None or callable(tgt) else tgt.numpy(),
    }
    base = output - values.reshape(n, -1).sum(axis=1)
    return T.explanation(values, base, x, "lrp", extras)


def _propagate(gm, nodes, x, tgt, K, fused, merged_bn, rules, eps, gamma):
    torch = T._torch()

    interp = _forward_interpreter(K)(gm, garbage_collect_values=False)
    with torch.no_grad():
        interp.run(x)
    env = interp.env
    n = x.shape[0]
    out_node = next(nd for nd in nodes if nd.op == "output").args[0]
    if not hasattr(out_node, "op"):
        raise ValueError("lrp needs a model whose forward returns one tensor")
    out = env[out_node].reshape(n, -1)
    if callable(tgt):  # g(out): relevance out * dg/dout (sums to g for a linear g)
        with torch.enable_grad():
            o = out.detach().clone().requires_grad_(True)
            val = T.select(o.reshape(env[out_node].shape), tgt)
            (grad,) = torch.autograd.grad(val.sum(), o)
        R0 = out * grad.to(out.dtype)
        output = val.detach().to(out.dtype)
    else:
        R0 = torch.zeros_like(out)
        col = torch.zeros(n, dtype=torch.long) if tgt is None else tgt
        R0[torch.arange(n), col] = out[torch.arange(n), col]
        output = out[torch.arange(n), col]
    rel = {out_node: R0.reshape(env[out_node].shape)}
    records = {}

    def is_tensor(a):  # an activation; parameters and buffers (get_attr) are constants
        return hasattr(a, "op") and a.op != "get_attr" and isinstance(env.get(a), torch.Tensor)

    def give(a, r):
        if is_tensor(a):
            rel[a] = rel[a] + r if a in rel else r

    def record(nd, name, kind, rule, sums):
        keys = ("relevance_out", "relevance_in", "bias_absorbed", "epsilon_absorbed")
        records[nd] = {
            "meta": {"name": name, "type": kind, "rule": rule},
            "sums": dict(zip(keys, sums)),
        }

    for nd in reversed(nodes):
        if nd not in rel or nd.op in ("placeholder", "output", "get_attr"):
            continue
        R = rel[nd]
        if nd.op == "call_module":
            mod = gm.get_submodule(nd.target)
            a = env[nd.args[0]]
            if nd in merged_bn or isinstance(mod, K["through"]):
                give(nd.args[0], R.reshape(a.shape))
            elif isinstance(mod, K["weighted"]) or isinstance(mod, K["bn"]):
                if isinstance(mod, K["weighted"]):
                    w, b = _weights(mod, fused.get(nd))
                    r = rules[nd]
                else:
                    w, b = _bn_affine(mod)
                    r = "epsilon"
                w, b = _modified(w, b, r, gamma)
                R_in, sums = _step(*_layer_fn(mod, w, b), a, R, eps)
                kind = type(mod).__name__ + ("+" + type(fused[nd]).__name__ if nd in fused else "")
                record(nd, str(nd.target), kind, r, sums)
                give(nd.args[0], R_in)
            elif isinstance(mod, K["pool"]):
                if getattr(mod, "return_indices", False):
                    raise ValueError(f"lrp cannot handle {nd.target!r}: return_indices=True")
                R_in, sums = _step(mod, None, a, R, eps)
                record(nd, str(nd.target), type(mod).__name__, "epsilon", sums)
                give(nd.args[0], R_in)
            else:
                raise ValueError(
                    f"lrp cannot handle module {nd.target!r} of type {type(mod).__name__}; "
                    f"supported: {_SUPPORTED}"
                )
        elif nd.op == "call_function" and nd.target in K["through_fn"]:
            give(nd.args[0], R.reshape(env[nd.args[0]].shape))
        elif nd.op == "call_method" and nd.target in K["through_method"]:
            give(nd.args[0], R.reshape(env[nd.args[0]].shape))
        elif (nd.op == "call_function" and nd.target in K["add_fn"]) or (
            nd.op == "call_method" and nd.target == "add"
        ):
            if len(nd.args) != 2 or nd.kwargs:
                raise ValueError(f"lrp handles a + b only; got {nd.format_node()}")
            parts = [env[p] if hasattr(p, "op") else p for p in nd.args]
            parts = [p.detach() if isinstance(p, torch.Tensor) else p for p in parts]
            z = env[nd]
            for arg, p in zip(nd.args, parts):
                if is_tensor(arg) and p.shape != z.shape:
                    raise ValueError(
                        f"lrp cannot split relevance over the broadcasting addition {nd.name!r}"
                        f" ({tuple(p.shape)} + ... -> {tuple(z.shape)})"
                    )
            stab = z + eps * torch.where(z >= 0, 1.0, -1.0).to(z.dtype)
            s = torch.where(stab == 0, torch.zeros_like(R), R / torch.where(stab == 0, 1.0, stab))
            shares = [s * p for p in parts]
            tensor_in = [sh for arg, sh in zip(nd.args, shares) if is_tensor(arg)]
            const = [sh for arg, sh in zip(nd.args, shares) if not is_tensor(arg)]
            out_sum = R.reshape(n, -1).sum(1)
            in_sum = sum(sh.reshape(n, -1).sum(1) for sh in tensor_in)
            bias = sum((sh * torch.ones_like(z)).reshape(n, -1).sum(1) for sh in const) if const \
                else torch.zeros(n, dtype=z.dtype)  # fmt: skip
            lost = out_sum - (s * z).reshape(n, -1).sum(1)
            record(nd, nd.name, "add", "epsilon", (out_sum, in_sum, bias, lost))
            for arg, sh in zip(nd.args, shares):
                give(arg, sh)
        elif nd.op == "call_function" and nd.target in K["cat_fn"]:
            seq = nd.args[0]
            dim = nd.args[1] if len(nd.args) > 1 else nd.kwargs.get("dim", 0)
            sizes = [env[p].shape[dim] for p in seq]
            for p, r in zip(seq, torch.split(R, sizes, dim=dim)):
                give(p, r)
        else:
            what = (
                nd.target if nd.op != "call_function" else getattr(nd.target, "__name__", nd.target)
            )
            raise ValueError(
                f"lrp cannot handle the operation {what!r} (graph node {nd.name!r}, "
                f"{nd.op}); supported: {_SUPPORTED}"
            )
    inp = next(nd for nd in nodes if nd.op == "placeholder")
    R_x = rel.get(inp, torch.zeros_like(x))
    return R_x.detach(), output.detach(), records
