"""Chinchilla planning: the 20-tokens rule against published training sets, and compute budgets.

:func:`model_rows` gives, per model, the rule-of-thumb budget ``D = 20 · N`` for its
total and active parameters (they differ for a mixture of experts), its published
``training_tokens`` and the ratios ``training_tokens / budget``; the training compute
``6 · N_active · D``; and the loss a fit predicts for ``N_active`` parameters trained
on ``D`` tokens. With compute budgets, each row also gets the fit's compute-optimal
``n_opt``, ``d_opt`` and ``loss`` at that budget. :func:`budget_rows` gives the same
for budgets alone, beside the rule. :func:`param_rows` answers the inverse question: the
budget at which a given parameter count is compute-optimal, beside the rule's budget for
it. :func:`trend` says in one sentence what the rows show. The scaling-law maths is in
:mod:`registry.analyses.scaling`; nothing here prints.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from registry.model import Model
from registry.analyses.report import count
from registry.numbers import ratio
from registry.analyses.scaling import LossFit, allocation_for_params, chinchilla_tokens, compute_optimal, loss

TOKENS_PER_PARAM = 20


def model_rows(
    models: Iterable[Model],
    fit: LossFit,
    budgets: Sequence[float] = (),
    tokens_per_param: float = TOKENS_PER_PARAM,
) -> list[dict[str, Any]]:
    """One row per model (one per model and budget when ``budgets`` are given).

    Columns a model cannot fill (no ``training_tokens``) are None. ``predicted_loss``
    uses the active parameters: for a dense model all of them; for a mixture of
    experts it is the loss of a dense model with the same compute per token, which the
    fit (made on dense models) does not claim to predict.
    """
    rows: list[dict[str, Any]] = []
    for model in models:
        report = count(model)
        total, active, tokens = report.total_params, report.active_params, model.training_tokens
        budget = chinchilla_tokens(total, tokens_per_param) if total else 0
        budget_active = chinchilla_tokens(active, tokens_per_param) if active else 0
        base: dict[str, Any] = {
            "name": model.name,
            "total_params": total,
            "active_params": active,
            "reported_params": report.reported_params,
            "chinchilla_tokens": budget,
            "chinchilla_tokens_active": budget_active,
            "training_tokens": tokens,
            "tokens_ratio": None if tokens is None else ratio(tokens, budget),
            "tokens_ratio_active": None if tokens is None else ratio(tokens, budget_active),
            "training_compute": None if tokens is None else 6 * active * tokens,
            "fit": fit.name,
            "predicted_loss": None if tokens is None or not active else loss(fit, active, tokens),
        }
        if not budgets:
            rows.append(base)
        for c in budgets:
            opt = compute_optimal(fit, c)
            rows.append({**base, "compute": float(c), "n_opt": opt.n_opt, "d_opt": opt.d_opt, "loss": opt.loss})
    return rows


def budget_rows(
    budgets: Iterable[float], fit: LossFit, tokens_per_param: float = TOKENS_PER_PARAM
) -> list[dict[str, Any]]:
    """Per compute budget: the fit's ``n_opt``, ``d_opt``, ``loss`` and the rule's N and D.

    The rule spends the budget as ``C = 6 · N · (k · N)``, so ``rule_n = sqrt(C / 6k)``;
    ``n_ratio`` is ``n_opt / rule_n``.
    """
    rows = []
    for c in budgets:
        opt = compute_optimal(fit, c)
        rule_n = math.sqrt(c / (6 * tokens_per_param))
        rows.append({
            "compute": float(c), "fit": fit.name, "n_opt": opt.n_opt, "d_opt": opt.d_opt, "loss": opt.loss,
            "tokens_per_param": opt.tokens_per_param, "rule_n": rule_n, "rule_d": tokens_per_param * rule_n,
            "n_ratio": opt.n_opt / rule_n,
        })  # fmt: skip
    return rows


def param_rows(
    n_params: Iterable[float], fit: LossFit, tokens_per_param: float = TOKENS_PER_PARAM
) -> list[dict[str, Any]]:
    """Per parameter count N: the compute at which the fit makes N optimal, beside the rule's budget for N.

    ``compute``, ``d_opt``, ``loss`` and ``tokens_per_param`` (``d_opt / N``) invert
    :func:`~registry.analyses.scaling.compute_optimal` (:func:`~registry.analyses.scaling.allocation_for_params`):
    at ``compute`` the fit's ``n_opt`` is N. ``rule_d = k · N`` (exact, rounded to a whole
    token) and ``rule_compute = 6 · N · rule_d`` are the rule's tokens and compute for N.
    """
    rows = []
    for n in n_params:
        opt = allocation_for_params(fit, n)
        rule_d = chinchilla_tokens(n, tokens_per_param)
        rows.append({
            "n_params": n, "fit": fit.name, "compute": opt.compute, "d_opt": opt.d_opt, "loss": opt.loss,
            "tokens_per_param": opt.tokens_per_param, "rule_d": rule_d, "rule_compute": 6 * n * rule_d,
        })  # fmt: skip
    return rows


def trend(rows: Sequence[dict[str, Any]], tokens_per_param: float = TOKENS_PER_PARAM) -> str | None:
    """One sentence on how the models' training sets compare with the rule (None without data)."""
    known = [r for r in rows if r.get("tokens_ratio") is not None]
    names = list(dict.fromkeys(r["name"] for r in rows if "name" in r))
    missing = [n for n in names if n not in {r["name"] for r in known}]
    left_out = ""
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        left_out = f"No published training_tokens for {shown}: {'it has' if len(missing) == 1 else 'they have'} no ratio."
    if not known:
        return left_out or None
    seen: dict[str, dict[str, Any]] = {r["name"]: r for r in known}
    ratios = [r["tokens_ratio"] for r in seen.values()]
    above = sum(x > 1 for x in ratios)
    text = (
        f"{above} of {len(ratios)} models were trained on more than {tokens_per_param:g} tokens per parameter "
        f"({_span(ratios)} the rule's budget, by total parameters)"
    )
    moe = [r["tokens_ratio_active"] for r in seen.values()
           if r["active_params"] != r["total_params"] and r["tokens_ratio_active"] is not None]  # fmt: skip
    if moe:
        what = "the mixture of experts is at" if len(moe) == 1 else "the mixtures of experts are at"
        text += f"; by active parameters {what} {_span(moe)} it"
    return text + "." + (f" {left_out}" if left_out else "")


def ratio_text(value: float) -> str:
    """A ratio with three significant digits, never rounded across 1 (0.999x, 1.92x, 18.9x)."""
    return f"{value:.3g}x"


def _span(values: Sequence[float]) -> str:
    lo, hi = ratio_text(min(values)), ratio_text(max(values))
    return lo if lo == hi else f"{lo} to {hi}"
