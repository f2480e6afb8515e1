"""The output projections of transformers' time-series models (PatchTST, PatchTSMixer, Informer), shared.

Not a plugin (it registers nothing). A model trained with ``loss = "mse"`` ends in one ``Linear``; any other loss
makes the head a distribution's ``ParameterProjection`` (transformers' ``time_series_utils.py``): one ``Linear``
per parameter of the distribution (``proj.0``, ``proj.1``, ...), each of the same outputs as the plain head.
:data:`DISTRIBUTIONS` holds how many parameters each distribution has (``StudentTOutput``: df, loc, scale;
``NormalOutput``: loc, scale; ``NegativeBinomialOutput``: total_count, logits).
"""

from __future__ import annotations

from registry import ConfigReader, Params, short_value as short
from registry.blocks import Block, Linear, Module

#: The parameters of each ``distribution_output`` transformers knows (its ``args_dim``).
DISTRIBUTIONS = {"student_t": 3, "normal": 2, "negative_binomial": 2}


def projection(name: str, n_in: int, n_out: int, distribution: str | None) -> Block:
    """The head's last layer: ``Linear(n_in, n_out)``, or one such layer per parameter of ``distribution``."""
    if distribution is None:
        return Linear(name=name, in_features=n_in, out_features=n_out, component="head")
    return Module(name=name, blocks=[Linear(name=f"proj.{i}", in_features=n_in, out_features=n_out, component="head")
                                     for i in range(DISTRIBUTIONS[distribution])])  # fmt: skip


def distribution_rule(cfg: ConfigReader, params: Params, defaults: dict, used: bool) -> None:
    """Rule: ``params["distribution"]``, None under ``loss = "mse"`` (a plain linear head), else the distribution
    ``distribution_output`` names; ``used``: whether the config's class builds the head (an unknown distribution is
    refused only there, as transformers raises only there)."""
    loss = cfg.raw("loss", defaults["loss"])
    kind = cfg.raw("distribution_output", defaults["distribution_output"])
    if loss == "mse" or not used:
        params["distribution"] = ("loss", None)
        return
    if kind not in DISTRIBUTIONS:
        raise cfg.error("distribution_output", f"must be one of {', '.join(DISTRIBUTIONS)} (got {short(kind)}): "
                        "transformers builds no other distribution head")  # fmt: skip
    params["distribution"] = ("distribution_output", kind)
