"""Chinchilla-style scaling laws: parametric loss, compute-optimal allocation, 20-tokens rule.

The parametric loss of Hoffmann et al. 2022 (arXiv 2203.15556, Section 3.3) is

    L(N, D) = E + A / N**alpha + B / D**beta

for N parameters trained on D tokens, with training compute approximated as C = 6*N*D.
Standard library only; see docs/scaling-laws.md for the derivation and caveats.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from numbers import Real
from typing import Iterable

__all__ = [
    "LossFit", "Allocation", "FITS", "DEFAULT_FIT", "get_fit", "loss", "compute_optimal",
    "allocation_for_params", "chinchilla_tokens", "rule_vs_fit_table",
]


@dataclass(frozen=True)
class LossFit:
    """Constants of one published fit of L(N, D) = E + A/N**alpha + B/D**beta, with its citation."""

    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str


@dataclass(frozen=True)
class Allocation:
    """A compute-optimal split of ``compute`` FLOPs into ``n_opt`` parameters and ``d_opt`` tokens.

    ``loss`` is the fit's predicted loss there and ``tokens_per_param`` is ``d_opt / n_opt``.
    """

    compute: float
    n_opt: float
    d_opt: float
    loss: float
    tokens_per_param: float


FITS: dict[str, LossFit] = {
    "approach3": LossFit(
        "approach3", E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28,
        source="Hoffmann et al. 2022, Training Compute-Optimal Large Language Models, "
        "arXiv 2203.15556, Approach 3 (Section 3.3, Appendix D.2), constants as printed (rounded)",
    ),
    "besiroglu": LossFit(
        "besiroglu", E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658,
        source="Besiroglu et al. 2024, Chinchilla Scaling: A replication attempt, "
        "arXiv 2404.10102, refit of Approach 3",
    ),
}
"""The known fits by name: ``"approach3"`` (Chinchilla as published) and ``"besiroglu"`` (refit)."""

DEFAULT_FIT = "besiroglu"
"""The fit used unless another is named: the one that reproduces the paper's published optimum.

Hoffmann et al.'s Table 3 puts 400M parameters and 8.0B tokens at 1.92e19 FLOPs, and their
Table A3 puts the Approach-3 optimum for 400M at 2.21e19 FLOPs and 9.2B tokens. The
``besiroglu`` refit gives 366M / 8.74B at 1.92e19 and puts 400M at 2.28e19 FLOPs (within 3% of
Table A3); the rounded constants as printed (``approach3``) give 306M / 10.5B and 3.47e19
FLOPs (57% off). tests/test_first_contact.py checks both against the paper's figures.
"""


def get_fit(name: str) -> LossFit:
    """Return the fit called ``name``; raise ValueError naming the known fits if there is none."""
    try:
        return FITS[name]
    except (KeyError, TypeError):
        known = ", ".join(sorted(FITS))
        raise ValueError(f"unknown scaling-law fit {name!r}; known fits: {known}") from None


def _check(name: str, value: Real) -> None:
    """Raise TypeError unless ``value`` is a real number, ValueError unless positive and finite."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    if isinstance(value, int):  # exact, and never overflows a float conversion
        ok = value > 0
    else:
        ok = math.isfinite(float(value)) and value > 0
    if not ok:
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def loss(fit: LossFit, n_params: float, n_tokens: float) -> float:
    """Predicted loss E + A/N**alpha + B/D**beta of ``n_params`` parameters trained on ``n_tokens``."""
    _check("n_params", n_params)
    _check("n_tokens", n_tokens)
    # exp(-alpha*log N) rather than N**-alpha, so that arbitrarily large ints work too.
    return (fit.E + fit.A * math.exp(-fit.alpha * math.log(n_params))
            + fit.B * math.exp(-fit.beta * math.log(n_tokens)))


def _g(fit: LossFit) -> float:
    """G = (alpha*A / (beta*B)) ** (1/(alpha+beta)) of Hoffmann et al. eq. (4)."""
    return (fit.alpha * fit.A / (fit.beta * fit.B)) ** (1.0 / (fit.alpha + fit.beta))


def compute_optimal(fit: LossFit, compute_flops: float) -> Allocation:
    """Minimise ``loss(fit, N, D)`` subject to 6*N*D = ``compute_flops``, in closed form.

    Substituting D = (C/6)/N gives f(N) = A*N**-alpha + B*(C/6)**-beta * N**beta (E is a
    constant). f'(N) = 0 iff alpha*A*N**-alpha = beta*B*(C/6)**-beta * N**beta, i.e.
    N**(alpha+beta) = (alpha*A / (beta*B)) * (C/6)**beta, so with
    G = (alpha*A / (beta*B))**(1/(alpha+beta)), a = beta/(alpha+beta), b = alpha/(alpha+beta):

        N_opt = G * (C/6)**a,    D_opt = (C/6) / N_opt = G**-1 * (C/6)**b.

    f is a sum of a decreasing and an increasing power of N, f' changes sign once (from
    negative to positive), so this stationary point is the unique global minimum.
    """
    _check("compute_flops", compute_flops)
    a = fit.beta / (fit.alpha + fit.beta)
    log_c6 = math.log(compute_flops) - math.log(6)
    try:
        n = _g(fit) * math.exp(a * log_c6)
        d = math.exp(log_c6) / n
        return _finite(Allocation(float(compute_flops), n, d, loss(fit, n, d), d / n), f"compute {_short(compute_flops)}")
    except (OverflowError, ValueError):
        raise ValueError(f"compute {_short(compute_flops)}: the optimal allocation is beyond the range of a "
                         "floating-point number") from None


def allocation_for_params(fit: LossFit, n_params: float) -> Allocation:
    """Invert :func:`compute_optimal`: the allocation whose ``n_opt`` is ``n_params``.

    From N = G*(C/6)**a: C = 6 * (N/G)**(1/a), and D = (C/6)/N.
    """
    _check("n_params", n_params)
    try:
        c6 = math.exp((math.log(n_params) - math.log(_g(fit))) * (fit.alpha + fit.beta) / fit.beta)
        n = float(n_params)
        return _finite(Allocation(6 * c6, n, c6 / n, loss(fit, n, c6 / n), c6 / n / n), f"{_short(n_params)} parameters")
    except (OverflowError, ValueError):
        raise ValueError(f"{_short(n_params)} parameters: the compute that makes them optimal is beyond the range "
                         "of a floating-point number") from None


def _short(value: float) -> str:
    """A number to three significant digits, also an int too large for a float."""
    from decimal import Decimal

    return f"{Decimal(value):.3g}"


def _finite(allocation: Allocation, what: str) -> Allocation:
    """``allocation`` if every figure of it is a positive finite float; ValueError otherwise
    (an allocation of 0 tokens, or an infinite compute, is not an answer)."""
    for value in (allocation.compute, allocation.n_opt, allocation.d_opt, allocation.tokens_per_param):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(what)
    return allocation


def chinchilla_tokens(n_params: float, tokens_per_param: float = 20) -> int:
    """Training tokens by the rule of thumb D = ``tokens_per_param`` * N (20 for Chinchilla).

    Computed exactly (ints and floats are exact rationals) and rounded to the nearest
    integer, ties to even; for int inputs it is simply the integer product.
    """
    _check("n_params", n_params)
    _check("tokens_per_param", tokens_per_param)
    return round(Fraction(n_params) * Fraction(tokens_per_param))


def rule_vs_fit_table(
    fit: LossFit, budgets: Iterable[float], tokens_per_param: float = 20
) -> list[dict[str, float]]:
    """Compare the tokens-per-parameter rule with ``fit``'s optimum at each compute budget.

    For C = 6*N*(k*N) the rule gives N = sqrt(C / (6k)) (k = 20: N = sqrt(C/120)) and D = k*N.
    Each row has ``compute``, ``rule_n``, ``rule_d``, ``fit_n``, ``fit_d`` and
    ``ratio`` = fit_n / rule_n (which equals rule_d / fit_d, both spending C).
    """
    _check("tokens_per_param", tokens_per_param)
    rows = []
    for c in budgets:
        opt = compute_optimal(fit, c)
        rule_n = math.sqrt(c / (6 * tokens_per_param))
        rows.append({"compute": float(c), "rule_n": rule_n, "rule_d": tokens_per_param * rule_n,
                     "fit_n": opt.n_opt, "fit_d": opt.d_opt, "ratio": opt.n_opt / rule_n})
    return rows
