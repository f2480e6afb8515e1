"""Tests of registry.analyses.planning and ``registry chinchilla``: the 20-tokens rule written out here,
the compute-optimal sizes the issue and docs/scaling-laws.md quote, predicted losses from the
published constants, the seed's four-model table, and error paths."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from registry.cli import main
from registry.sources.loading import load
from registry.analyses.planning import budget_rows, model_rows, param_rows, trend
from registry.analyses.scaling import allocation_for_params, compute_optimal, get_fit

ROOT = Path(__file__).resolve().parents[1]
SPECS = ROOT / "specs"
# The four models of the seed course exercise (shared/seeds/000_24041c17831eba31.txt).
SEED_FOUR = ["llama-3.1-405b.toml", "snowflake-arctic.toml", "nemotron-4-340b.toml", "deepseek-v2.toml"]
# Loss constants as published, written out here: Hoffmann et al. 2022 Appendix D.2 and
# Besiroglu et al. 2024 (E, A, B, alpha, beta).
PUBLISHED = {"approach3": (1.69, 406.4, 410.7, 0.34, 0.28), "besiroglu": (1.8172, 482.01, 2085.43, 0.3478, 0.3658)}


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def published_loss(fit: str, n: float, d: float) -> float:
    e, a, b, alpha, beta = PUBLISHED[fit]
    return e + a / n**alpha + b / d**beta


# --- compute-optimal allocation ------------------------------------------------------------------


def brute_force_optimum(fit: str, c: float) -> float:
    """N minimising the published loss along C = 6ND: a grid of 2,001 points in log N around the
    minimum, refined ten times (nothing from registry.analyses.scaling)."""
    lo, hi = 0.0, math.log(c)
    for _ in range(10):
        xs = [lo + (hi - lo) * k / 2000 for k in range(2001)]
        best = min(xs, key=lambda x: published_loss(fit, math.exp(x), c / (6 * math.exp(x))))
        step = (hi - lo) / 2000
        lo, hi = best - 2 * step, best + 2 * step
    return math.exp((lo + hi) / 2)


@pytest.mark.parametrize("fit, n_quoted", [("approach3", 3.06e8), ("besiroglu", 3.66e8)])
def test_allocation_at_1_92e19(capsys, fit, n_quoted):
    # 306M and 366M at 1.92e19 FLOPs (docs/scaling-laws.md): the published constants' optimum,
    # found here by brute force.
    n_ref = brute_force_optimum(fit, 1.92e19)
    assert round(n_ref, -6) == n_quoted
    code, out, _ = run_cli(capsys, "chinchilla", "--compute", "1.92e19", "--fit", fit, "--format", "json")
    (row,) = json.loads(out)
    assert code == 0 and row["fit"] == fit
    assert row["n_opt"] == pytest.approx(n_ref, rel=1e-6)
    assert row["d_opt"] == pytest.approx(1.92e19 / (6 * row["n_opt"]), rel=1e-12)
    assert row["loss"] == pytest.approx(published_loss(fit, row["n_opt"], row["d_opt"]), rel=1e-12)


def test_rule_and_refit_within_1_3_from_1e19_to_1e25():
    budgets = [float(f"1e{k}") for k in range(19, 26)]
    for row in budget_rows(budgets, get_fit("besiroglu")):
        rule_n = (row["compute"] / 120) ** 0.5  # C = 6 N (20 N)
        assert row["rule_n"] == pytest.approx(rule_n, rel=1e-12)
        assert 1 / 1.3 < row["n_opt"] / rule_n < 1.3
        assert 1 / 1.3 < row["d_opt"] / (20 * rule_n) < 1.3


def test_specs_with_compute_get_the_optimum(capsys):
    gpt2 = str(SPECS / "gpt2.toml")
    code, out, _ = run_cli(capsys, "chinchilla", gpt2, "--compute", "1e20", "1e21", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["compute"] for r in rows] == [1e20, 1e21]
    for row in rows:
        for key in ("name", "total_params", "active_params", "reported_params", "chinchilla_tokens",
                    "training_tokens", "tokens_ratio", "n_opt", "d_opt", "loss"):  # fmt: skip
            assert key in row


# --- the budget for a parameter count (--params) -------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(fit=st.sampled_from(sorted(PUBLISHED)), n=st.floats(min_value=1e3, max_value=1e15))
def test_allocation_for_params_inverts_compute_optimal(fit, n):
    at = allocation_for_params(get_fit(fit), n)
    opt = compute_optimal(get_fit(fit), at.compute)
    assert opt.n_opt == pytest.approx(n, rel=1e-9)
    assert at.d_opt == pytest.approx(at.compute / (6 * n), rel=1e-12)  # C = 6 N D


@pytest.mark.parametrize("fit", sorted(PUBLISHED))
def test_params_json(capsys, fit):
    code, out, _ = run_cli(capsys, "chinchilla", "--params", "1.3e9", "7e10", "--fit", fit, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["n_params"] for r in rows] == [1_300_000_000, 70_000_000_000]
    for row in rows:
        n = row["n_params"]
        keys = ["n_params", "fit", "compute", "d_opt", "loss", "tokens_per_param", "rule_d", "rule_compute"]
        assert list(row) == keys
        assert row["fit"] == fit
        assert compute_optimal(get_fit(fit), row["compute"]).n_opt == pytest.approx(n, rel=1e-9)
        assert row["d_opt"] == pytest.approx(row["compute"] / (6 * n), rel=1e-12)
        assert row["tokens_per_param"] == pytest.approx(row["d_opt"] / n, rel=1e-12)
        assert row["loss"] == pytest.approx(published_loss(fit, n, row["d_opt"]), rel=1e-12)
        assert row["rule_d"] == 20 * n  # the rule: 20 tokens per parameter
        assert row["rule_compute"] == 6 * n * 20 * n


def test_params_with_tokens_per_param_and_table(capsys):
    (row,) = param_rows([1_000_000], get_fit("approach3"), tokens_per_param=10)
    assert row["rule_d"] == 10 * 1_000_000 and row["rule_compute"] == 6 * 1_000_000 * 10 * 1_000_000
    code, out, _ = run_cli(capsys, "chinchilla", "--params", "1.3e9")
    assert code == 0 and out.splitlines()[0].split()[:3] == ["params", "compute", "d_opt"]
    assert "1.30B" in out and "26.00B" in out  # N and the rule's 20 N, counts as `registry count` prints them


# --- the 20-tokens rule on specs -----------------------------------------------------------------


def test_rule_columns_and_predicted_loss():
    (model,) = load(SPECS / "chinchilla-70b.toml")
    (row,) = model_rows([model], get_fit("approach3"))
    n = row["total_params"]
    assert row["chinchilla_tokens"] == 20 * n
    assert row["training_tokens"] == 1_400_000_000_000  # Hoffmann et al. 2022: 1.4T tokens
    assert row["tokens_ratio"] == 1_400_000_000_000 / (20 * n)
    assert row["training_compute"] == 6 * n * 1_400_000_000_000
    assert row["predicted_loss"] == pytest.approx(published_loss("approach3", n, 1.4e12), rel=1e-12)


def test_moe_has_total_and_active_budgets():
    spec = SPECS / "gpt4-moe-rumored.toml"
    (model,) = load(spec)
    (row,) = model_rows([model], get_fit("besiroglu"))
    assert row["active_params"] < row["total_params"]
    assert row["chinchilla_tokens_active"] == 20 * row["active_params"]
    assert row["tokens_ratio_active"] == row["training_tokens"] / (20 * row["active_params"])
    assert row["predicted_loss"] == pytest.approx(
        published_loss("besiroglu", row["active_params"], row["training_tokens"]), rel=1e-12
    )


def test_spec_without_training_tokens_gives_empty_columns(capsys):
    gpt2, chinchilla = str(SPECS / "gpt2.toml"), str(SPECS / "chinchilla-70b.toml")
    code, out, _ = run_cli(capsys, "chinchilla", gpt2, chinchilla, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["name"] for r in rows] == ["gpt2", "chinchilla-70b"]
    assert rows[0]["training_tokens"] == rows[0]["tokens_ratio"] == rows[0]["predicted_loss"] == ""
    assert rows[0]["chinchilla_tokens"] == str(20 * int(rows[0]["total_params"]))
    code, out, _ = run_cli(capsys, "chinchilla", str(SPECS / "gpt2.toml"))
    assert code == 0 and "gpt2" in out


def test_tokens_per_param_option(capsys):
    gpt2 = str(SPECS / "gpt2.toml")
    code, out, _ = run_cli(capsys, "chinchilla", gpt2, "--tokens-per-param", "10", "--format", "json")
    (row,) = json.loads(out)
    assert row["chinchilla_tokens"] == 10 * row["total_params"]


def test_trend_sentence():
    rows = [
        {"name": "a", "total_params": 10, "active_params": 10, "tokens_ratio": 2.0, "tokens_ratio_active": 2.0},
        {"name": "b", "total_params": 10, "active_params": 2, "tokens_ratio": 0.5, "tokens_ratio_active": 2.5},
        {"name": "c", "total_params": 10, "active_params": 10, "tokens_ratio": None, "tokens_ratio_active": None},
    ]
    text = trend(rows)
    assert text.startswith("1 of 2 models were trained on more than 20 tokens per parameter")
    assert "0.5x to 2x" in text and "the mixture of experts is at 2.5x" in text
    assert text.endswith("No published training_tokens for c: it has no ratio.")  # not dropped silently
    assert trend(rows[2:]) == "No published training_tokens for c: it has no ratio."
    assert trend([]) is None


def test_seed_four_model_table(capsys):
    paths = [str(SPECS / s) for s in SEED_FOUR]
    code, out, _ = run_cli(capsys, "chinchilla", *paths, "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) == 4
    for row in rows:
        assert row["training_tokens"] is not None
        assert row["chinchilla_tokens"] == 20 * row["total_params"]
        assert row["tokens_ratio"] == row["training_tokens"] / (20 * row["total_params"])
    # Snowflake Arctic and DeepSeek-V2 are mixtures of experts (480B/17B and 236B/21B, as published).
    moe = [r for r in rows if r["active_params"] < r["total_params"]]
    assert len(moe) == 2
    code, out, _ = run_cli(capsys, "chinchilla", *paths)
    assert code == 0 and "models were trained on more than 20 tokens per parameter" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        ([], "give spec file(s) or catalogue name(s), --compute C, or --params N"),
        (["--compute", "abc"], "--compute must be a positive finite number"),
        (["--compute", "-5"], "--compute must be a positive finite number"),
        (["--compute", "1e20", "--fit", "kaplan"], "--fit must be one of approach3, besiroglu"),
        (["--compute", "1e20", "--tokens-per-param", "0"], "--tokens-per-param must be a positive finite number"),
        (["--params", "abc"], "--params must be a positive whole number, got abc"),
        (["--params", "-5"], "--params must be a positive whole number"),
        (["--params", "0"], "--params must be a positive whole number"),
        (["--params", "1e9", "2.5"], "--params must be a positive whole number, got 2.5"),
        (["--params", "1e9", "--compute", "1e20"], "--params and --compute do not go together"),
        (["--params", "1e9", "--fit", "kaplan"], "--fit must be one of approach3, besiroglu"),
    ],
)
def test_cli_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "chinchilla", *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err
