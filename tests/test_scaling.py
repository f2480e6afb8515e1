"""Tests of registry.analyses.scaling: the closed-form Chinchilla optimum against brute force, the
published-fit values, the 20-tokens rule, validation, and the table in docs/scaling-laws.md."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.analyses import scaling
from registry.analyses.scaling import (
    FITS, LossFit, allocation_for_params, chinchilla_tokens, compute_optimal,
    get_fit, loss, rule_vs_fit_table,
)

DOC = Path(__file__).resolve().parents[1] / "docs" / "scaling-laws.md"
BUDGETS = [float(f"1e{k}") for k in range(19, 26)]  # 1e19 .. 1e25, exact decimal literals
INVPHI = (math.sqrt(5) - 1) / 2


def golden_min(f, lo: float, hi: float, tol: float = 1e-11) -> float:
    """Minimiser of a unimodal f on [lo, hi] by golden-section search (independent of the module)."""
    c, d = hi - INVPHI * (hi - lo), lo + INVPHI * (hi - lo)
    fc, fd = f(c), f(d)
    while hi - lo > tol:
        if fc < fd:
            hi, d, fd = d, c, fc
            c = hi - INVPHI * (hi - lo)
            fc = f(c)
        else:
            lo, c, fc = c, d, fd
            d = lo + INVPHI * (hi - lo)
            fd = f(d)
    return (lo + hi) / 2


def brute_force_n(fit: LossFit, c: float) -> float:
    """N minimising the fit's loss on the constraint 6*N*D = c, searched over log N.

    The loss is written out here rather than taken from scaling.loss; E is left out because it
    is constant along the constraint and would only add round-off to a flat minimum."""
    def on_constraint(x: float) -> float:  # x = ln N
        n = math.exp(x)
        d = c / (6 * n)
        return fit.A / n**fit.alpha + fit.B / d**fit.beta
    return math.exp(golden_min(on_constraint, -100.0, math.log(c / 6) + 100.0))


# --- fits -------------------------------------------------------------------------------

def test_fits_constants_as_published():
    a3, bes = get_fit("approach3"), get_fit("besiroglu")
    assert set(FITS) == {"approach3", "besiroglu"}
    # Hoffmann et al. 2022 (arXiv 2203.15556) Appendix D.2, as printed.
    assert (a3.E, a3.A, a3.B, a3.alpha, a3.beta) == (1.69, 406.4, 410.7, 0.34, 0.28)
    # Besiroglu et al. 2024 (arXiv 2404.10102) refit.
    assert (bes.E, bes.A, bes.B, bes.alpha, bes.beta) == (1.8172, 482.01, 2085.43, 0.3478, 0.3658)
    for name, fit in FITS.items():
        assert fit.name == name and fit.source


def test_get_fit_unknown_lists_known_names():
    with pytest.raises(ValueError) as exc:
        get_fit("kaplan")
    assert "'kaplan'" in str(exc.value)
    assert "approach3" in str(exc.value) and "besiroglu" in str(exc.value)


def test_dataclasses_are_frozen():
    alloc = compute_optimal(get_fit("approach3"), 1e20)
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_fit("approach3").E = 0.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        alloc.n_opt = 1.0


def test_public_names_have_docstrings():
    for name in scaling.__all__:
        obj = getattr(scaling, name)
        if callable(obj):
            assert obj.__doc__ and obj.__doc__.strip(), name
    assert scaling.__doc__


# --- loss -------------------------------------------------------------------------------

def test_loss_formula():
    fit = get_fit("approach3")
    n, d = 7e10, 1.4e12  # Chinchilla itself
    assert loss(fit, n, d) == pytest.approx(1.69 + 406.4 / n**0.34 + 410.7 / d**0.28, rel=1e-14)
    assert loss(fit, 70_000_000_000, 1_400_000_000_000) == pytest.approx(loss(fit, n, d), rel=1e-14)
    assert loss(fit, 10**400, 10**400) == pytest.approx(fit.E, rel=1e-12)  # big ints don't overflow
    assert loss(fit, 1e9, 1e10) > loss(fit, 2e9, 1e10) > loss(fit, 2e9, 2e10) > fit.E


# --- compute-optimal allocation ---------------------------------------------------------

# The fits' constants as published, written out here (E, A, B, alpha, beta): Hoffmann et al. 2022
# (arXiv 2203.15556) Appendix D.2, and Besiroglu et al. 2024 (arXiv 2404.10102) Table 1.
PUBLISHED = {"approach3": (1.69, 406.4, 410.7, 0.34, 0.28), "besiroglu": (1.8172, 482.01, 2085.43, 0.3478, 0.3658)}


def published_optimum(name: str, c: float) -> tuple[float, float]:
    """(N, D) minimising the published loss along 6ND = c, by golden-section search over ln N:
    the loss and the constants come from the papers, nothing from registry.analyses.scaling."""
    _, a, b, alpha, beta = PUBLISHED[name]
    x = golden_min(lambda x: a / math.exp(x) ** alpha + b / (c / (6 * math.exp(x))) ** beta, 0.0, math.log(c))
    return math.exp(x), c / (6 * math.exp(x))


def published_budget_for(name: str, n: float) -> float:
    """The budget C at which N is the optimum, from the paper's closed form (eq. 4) written out:
    N_opt = G (C/6)^(beta/(alpha+beta)), G = (alpha A / (beta B))^(1/(alpha+beta))."""
    _, a, b, alpha, beta = PUBLISHED[name]
    g = (alpha * a / (beta * b)) ** (1 / (alpha + beta))
    return 6 * (n / g) ** ((alpha + beta) / beta)


@pytest.mark.parametrize("name, n_quoted, d_quoted", [
    ("approach3", 3.06e8, 1.05e10),
    ("besiroglu", 3.66e8, 8.74e9),
])
def test_compute_optimal_at_1_92e19(name, n_quoted, d_quoted):
    """1.92e19 FLOPs is Table 3's 400M row (arXiv 2203.15556). The quoted N, D (in
    docs/scaling-laws.md and docs/seeds/chinchilla-todos.md) are what the published constants
    imply, found here by brute force: ~306M for Approach 3 as printed, ~366M for the Besiroglu
    et al. refit; neither is Table 3's 400M / 8.0B, which comes from Approach 1."""
    n_ref, d_ref = published_optimum(name, 1.92e19)
    assert float(f"{n_ref:.3g}") == n_quoted and float(f"{d_ref:.3g}") == d_quoted
    alloc = compute_optimal(get_fit(name), 1.92e19)
    assert alloc.n_opt == pytest.approx(n_ref, rel=1e-6)
    assert alloc.d_opt == pytest.approx(d_ref, rel=1e-6)


@pytest.mark.parametrize("name", sorted(FITS))
@pytest.mark.parametrize("c", [1e17, 1.92e19, 1e21, 5.76e23, 1e25, 1e27])
def test_closed_form_matches_brute_force(name, c):
    fit = get_fit(name)
    alloc = compute_optimal(fit, c)
    assert alloc.n_opt == pytest.approx(brute_force_n(fit, c), rel=1e-6)
    assert 6 * alloc.n_opt * alloc.d_opt == pytest.approx(c, rel=1e-12)
    assert alloc.tokens_per_param == pytest.approx(alloc.d_opt / alloc.n_opt, rel=1e-12)
    assert alloc.loss == pytest.approx(loss(fit, alloc.n_opt, alloc.d_opt), rel=1e-14)
    assert alloc.compute == c


@settings(max_examples=200, deadline=None)
@given(
    alpha=st.floats(0.05, 1.0), beta=st.floats(0.05, 1.0),
    a=st.floats(1.0, 1e4), b=st.floats(1.0, 1e4), log10_c=st.floats(12.0, 30.0),
)
def test_closed_form_matches_brute_force_for_any_fit(alpha, beta, a, b, log10_c):
    fit = LossFit("random", E=1.0, A=a, B=b, alpha=alpha, beta=beta, source="test")
    c = 10.0**log10_c
    assert compute_optimal(fit, c).n_opt == pytest.approx(brute_force_n(fit, c), rel=1e-6)


@settings(max_examples=200, deadline=None)
@given(name=st.sampled_from(sorted(FITS)), log10_c=st.floats(15.0, 30.0),
       shift=st.floats(-3.0, 3.0).filter(lambda s: abs(s) > 1e-3))
def test_no_other_split_of_the_budget_is_better(name, log10_c, shift):
    fit, c = get_fit(name), 10.0**log10_c
    opt = compute_optimal(fit, c)
    n = opt.n_opt * math.exp(shift)
    assert loss(fit, n, c / (6 * n)) > opt.loss


def test_seed_notebook_grid_lands_on_10_to_the_8_5():
    """A grid N = 10**(7 + k/16) picks 10**8.5 = 316.2M (D = 10.1B) for Approach 3 at 1.92e19,
    next to the continuous optimum 306M / 10.5B; see docs/scaling-laws.md."""
    fit, c = get_fit("approach3"), 1.92e19
    k = min(range(0, 97), key=lambda k: loss(fit, 10 ** (7 + k / 16), c / (6 * 10 ** (7 + k / 16))))
    assert k == 24
    n = 10 ** (7 + k / 16)
    assert n == pytest.approx(316.23e6, rel=1e-4)
    assert c / (6 * n) == pytest.approx(10.12e9, rel=1e-3)


@pytest.mark.parametrize("name", sorted(FITS))
@pytest.mark.parametrize("n", [4e8, 1.3e9, 7e10, 10**12])
def test_allocation_for_params_inverts_compute_optimal(name, n):
    fit = get_fit(name)
    inv = allocation_for_params(fit, n)
    fwd = compute_optimal(fit, inv.compute)
    assert inv.n_opt == n
    for field in ("n_opt", "d_opt", "loss", "tokens_per_param"):
        assert getattr(fwd, field) == pytest.approx(getattr(inv, field), rel=1e-9)


@pytest.mark.parametrize("name, n, compute, tokens", [
    # The figures quoted in docs/scaling-laws.md and docs/seeds/chinchilla-todos.md, each
    # derived here from the published constants (closed form, then brute force back).
    ("approach3", 1.3e9, 4.72e20, 60.5e9),
    ("besiroglu", 1.3e9, 2.27e20, 29.1e9),
    ("approach3", 4e8, 3.47e19, 14.5e9),
    ("besiroglu", 4e8, 2.28e19, 9.50e9),
])
def test_doc_inversions(name, n, compute, tokens):
    c_ref = published_budget_for(name, n)
    assert published_optimum(name, c_ref)[0] == pytest.approx(n, rel=1e-6)  # the closed form is the optimum
    assert float(f"{c_ref:.3g}") == compute and float(f"{c_ref / (6 * n):.3g}") == tokens
    alloc = allocation_for_params(get_fit(name), n)
    assert alloc.compute == pytest.approx(c_ref, rel=1e-9)
    assert alloc.d_opt == pytest.approx(c_ref / (6 * n), rel=1e-9)


def test_exponents_of_the_frontier():
    """N_opt ~ C**a with a = beta/(alpha+beta): 0.452 for the printed Approach-3 constants
    (Table 2 of arXiv 2203.15556 reports 0.46) and 0.513 for the refit."""
    for name, a in (("approach3", 0.28 / 0.62), ("besiroglu", 0.3658 / (0.3478 + 0.3658))):
        fit = get_fit(name)
        n20, n24 = compute_optimal(fit, 1e20).n_opt, compute_optimal(fit, 1e24).n_opt
        slope = math.log(n24 / n20) / math.log(1e4)
        assert slope == pytest.approx(a, rel=1e-9)


# --- 20 tokens per parameter ------------------------------------------------------------

def test_chinchilla_tokens():
    assert chinchilla_tokens(70_000_000_000) == 1_400_000_000_000
    assert chinchilla_tokens(10**30 + 1) == 20 * 10**30 + 20  # exact, beyond float precision
    assert chinchilla_tokens(1.3e9) == 26_000_000_000
    assert type(chinchilla_tokens(1.3e9)) is int
    assert chinchilla_tokens(1000, tokens_per_param=2.5) == 2500
    assert chinchilla_tokens(3, tokens_per_param=0.5) == 2  # 1.5 rounds half to even


def test_rule_vs_fit_table_rows():
    rows = rule_vs_fit_table(get_fit("approach3"), BUDGETS)
    assert [r["compute"] for r in rows] == BUDGETS
    for r in rows:
        assert r["rule_n"] == pytest.approx(math.sqrt(r["compute"] / 120), rel=1e-15)
        assert r["rule_d"] == pytest.approx(20 * r["rule_n"], rel=1e-15)
        assert 6 * r["rule_n"] * r["rule_d"] == pytest.approx(r["compute"], rel=1e-12)
        assert r["ratio"] == pytest.approx(r["fit_n"] / r["rule_n"], rel=1e-15)
        assert r["ratio"] == pytest.approx(r["rule_d"] / r["fit_d"], rel=1e-12)
    assert rule_vs_fit_table(get_fit("approach3"), []) == []


def test_besiroglu_refit_agrees_with_20_tokens_rule_within_1_3x():
    for r in rule_vs_fit_table(get_fit("besiroglu"), BUDGETS):
        assert 1 / 1.3 < r["ratio"] < 1.3, r


# --- validation -------------------------------------------------------------------------

FIT = FITS["besiroglu"]
CALLS = {
    "compute_optimal": lambda v: compute_optimal(FIT, v),
    "loss(n_params)": lambda v: loss(FIT, v, 1e10),
    "loss(n_tokens)": lambda v: loss(FIT, 1e9, v),
    "allocation_for_params": lambda v: allocation_for_params(FIT, v),
    "chinchilla_tokens(n_params)": lambda v: chinchilla_tokens(v),
    "chinchilla_tokens(tokens_per_param)": lambda v: chinchilla_tokens(10**9, v),
    "rule_vs_fit_table(budgets)": lambda v: rule_vs_fit_table(FIT, [1e20, v]),
    "rule_vs_fit_table(tokens_per_param)": lambda v: rule_vs_fit_table(FIT, [1e20], v),
}


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("bad", [0, -1, 0.0, -0.0, -1e19, math.nan, math.inf, -math.inf])
def test_non_positive_or_non_finite_raise_value_error(call, bad):
    with pytest.raises(ValueError, match="must be a positive finite number"):
        CALLS[call](bad)


@pytest.mark.parametrize("call", sorted(CALLS))
@pytest.mark.parametrize("bad", ["1e19", None, True])
def test_non_numbers_raise_type_error(call, bad):
    with pytest.raises(TypeError, match="must be a real number"):
        CALLS[call](bad)


# --- the table in docs/scaling-laws.md --------------------------------------------------

def sci(x: float) -> str:
    """3 significant figures as the doc prints them: 2.89e8, 1.83e10."""
    mantissa, exponent = f"{x:.2e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def doc_table_rows() -> list[list[str]]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- table:rule-vs-fit -->")
    end = text.index("<!-- /table -->", start)
    lines = [ln.strip() for ln in text[start:end].splitlines()[1:] if ln.strip().startswith("|")]
    rows = [[cell.strip() for cell in ln.strip("|").split("|")] for ln in lines]
    return [r for r in rows[1:] if not set("".join(r)) <= set("-: ")]  # drop header, separator


def test_doc_table_matches_rule_vs_fit_table():
    a3 = rule_vs_fit_table(get_fit("approach3"), BUDGETS)
    bes = rule_vs_fit_table(get_fit("besiroglu"), BUDGETS)
    expected = [
        [f"1e{round(math.log10(p['compute']))}", sci(p["rule_n"]), sci(p["rule_d"]),
         sci(p["fit_n"]), sci(p["fit_d"]), f"{p['ratio']:.3f}",
         sci(q["fit_n"]), sci(q["fit_d"]), f"{q['ratio']:.3f}"]
        for p, q in zip(a3, bes)
    ]
    assert doc_table_rows() == expected
