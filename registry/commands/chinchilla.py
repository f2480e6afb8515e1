"""``registry chinchilla SPEC... [--compute C] | --params N``: the 20-tokens rule and compute-optimal sizes."""

from __future__ import annotations

import argparse
from typing import Any

from registry.commands import add_format_option
from registry.commands._selection import add_model_arguments, selected_models

NAME = "chinchilla"
HELP = "Chinchilla planning: 20 tokens per parameter, compute-optimal N and D (or the budget for N), predicted loss"
DESCRIPTION = """Per model: the 20-tokens-per-parameter budget for its total and its active
parameters (they differ for a mixture of experts), its published training tokens and the
ratio between them, the training compute 6*N*D and the loss a fit predicts (a model
without published training_tokens gets the budget, and is named below the table). With
--compute C: the fit's compute-optimal parameters and tokens at C (closed form, C = 6ND),
for the budgets alone when no spec is given. With --params N: the inverse, the compute C at
which N is compute-optimal, its D, tokens per parameter and loss, beside the rule's D = k*N
and compute 6*N*k*N (k = 20 unless --tokens-per-param); given with SPEC too, it is a table
of its own. Fits: besiroglu (the default: Besiroglu et al. 2024's refit of Approach 3,
which reproduces the paper's published optimum) and approach3 (Hoffmann et al. 2022's
constants as printed, rounded: they do not). The table names the fit it used. The default
table shows a few columns, to fit the terminal; --format markdown, json or csv has them all. See docs/scaling-laws.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry chinchilla``."""
    from registry.analyses.scaling import DEFAULT_FIT, FITS

    add_model_arguments(parser, required=False)
    parser.add_argument(
        "--compute", nargs="+", default=None, metavar="C", help="compute budget(s) in FLOPs, e.g. 1.92e19"
    )
    parser.add_argument(
        "--params", nargs="+", default=None, metavar="N",
        help="parameter count(s), e.g. 1.3e9: the compute at which each is optimal",
    )  # fmt: skip
    parser.add_argument(
        "--fit", default=DEFAULT_FIT, metavar="NAME",
        help=f"loss fit: {', '.join(FITS)} (default {DEFAULT_FIT}: the refit that reproduces the paper's optimum;"
        " approach3: the constants as printed)",
    )  # fmt: skip
    parser.add_argument(
        "--tokens-per-param", default="20", metavar="K", help="the rule's tokens per parameter (default 20)"
    )
    add_format_option(parser)


def _is_model(text: str) -> bool:
    """Whether a value after --compute/--params names a model: a spec path, a file, a catalogue name."""
    from pathlib import Path

    from registry.sources import catalogue

    if text == "-" or "/" in text or text.endswith((".toml", ".json", ".gguf")):
        return True
    try:
        if Path(text).exists():
            return True
    except (OSError, ValueError):
        return False
    return catalogue.find(text) is not None


def _split_numbers(args: argparse.Namespace) -> None:
    """Move what follows --compute/--params but names a model (``--params 7e9 x.toml``) to SPEC."""
    for option in ("compute", "params"):
        values = getattr(args, option)
        if values:
            setattr(args, option, [v for v in values if not _is_model(v)] or None)
            args.specs = [*args.specs, *(v for v in values if _is_model(v))]


def run(args: argparse.Namespace) -> int:
    """Print the planning rows; exit 2 if any spec could not be read."""
    from registry.output import render
    from registry.commands._options import MIN_COMPUTE, TOKENS_PER_PARAM_RANGE, choice, positive_float, positive_int
    from registry.analyses.planning import budget_rows, model_rows, param_rows, trend
    from registry.analyses.scaling import FITS, get_fit

    _split_numbers(args)
    if not args.specs and not args.family and not args.compute and not args.params:
        raise SystemExit("registry chinchilla: give spec file(s) or catalogue name(s), --compute C, or --params N")
    if args.params and args.compute:
        raise SystemExit("registry chinchilla: --params and --compute do not go together: --params gives the budget"
                         " at which a size is optimal, --compute the size for a budget")
    budgets = [positive_float("chinchilla", "--compute", c, MIN_COMPUTE) for c in args.compute or ()]
    sizes = [positive_int("chinchilla", "--params", n) for n in args.params or ()]
    k = positive_float("chinchilla", "--tokens-per-param", args.tokens_per_param, *TOKENS_PER_PARAM_RANGE)
    fit = get_fit(choice("chinchilla", "--fit", args.fit, FITS))
    if sizes and (args.specs or args.family) and args.format == "csv":
        raise SystemExit("registry chinchilla: --params with SPEC gives two tables; CSV holds one: run them apart")
    ok = True
    tables: list[list[dict[str, Any]]] = []
    try:  # a figure beyond a float's range is refused, naming the value (registry.analyses.scaling)
        if sizes:
            tables.append(param_rows(sizes, fit, k))
        if args.specs or args.family:
            models, ok = selected_models(args, "chinchilla")
            tables.append(model_rows(models, fit, budgets, k))
        elif budgets:
            tables.append(budget_rows(budgets, fit, k))
    except ValueError as exc:
        raise SystemExit(f"registry chinchilla: {'--params' if sizes else '--compute'}: {exc}") from None
    if args.format in ("json", "csv"):
        rows = [r for t in tables for r in t]
        if rows or args.format == "json":
            print(render.rows_text(rows, args.format))
        return 0 if ok else 2
    blocks = []
    for rows in tables:
        if not rows:
            continue
        if args.format == "markdown":  # for documents: every column, exact counts
            blocks.append(render.rows_text([_full(r) for r in rows], "markdown"))
        else:
            blocks.append(_table([_shown(r) for r in rows], args.format))
        if "name" in rows[0]:
            sentence = trend(rows, k)
            if sentence:
                blocks.append(_wrap(sentence))
    if blocks:
        blocks.append(_wrap(f"fit {fit.name}{' (the default)' if fit.name == _default() else ''}: {fit.source}."))
        print("\n\n".join(blocks))
    return 0 if ok else 2


def _default() -> str:
    from registry.analyses.scaling import DEFAULT_FIT

    return DEFAULT_FIT


def _wrap(text: str) -> str:
    from registry.output.display import wrap

    return wrap(text)


#: Columns of the default table, right-aligned (JSON and CSV have every field, exact).
_RIGHT = {"params", "active", "tokens", "20 x N", "ratio", "ratio (active)", "6ND", "compute", "n_opt", "d_opt",
          "loss", "D/N", "rule_d", "rule_compute", "rule_n", "n_ratio"}  # fmt: skip
#: Columns left out, in this order, while a table is wider than the terminal.
_OPTIONAL = ("6ND", "loss", "active", "20 x N", "tokens", "rule_compute", "rule_n", "n_ratio", "D/N")


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row as the default table shows it: counts as 1.82B, FLOPs as 1.50e+13, ratios as 1.92x."""
    from registry.output.formats import count_text as n, flops_text as c, ratio_text as r

    value = row.get("loss", row.get("predicted_loss"))
    loss = "" if value is None else f"{value:.3f}"
    if "name" in row:
        moe = row["active_params"] != row["total_params"]
        out = {"name": row["name"], "params": n(row["total_params"]), "active": n(row["active_params"]) if moe else "",
               "tokens": n(row["training_tokens"]), "20 x N": n(row["chinchilla_tokens"])}  # fmt: skip
        ratio = r(row["tokens_ratio"])
        if moe and row["tokens_ratio_active"] is not None:
            out["ratio (active)"] = f"{ratio} ({r(row['tokens_ratio_active'])})"
        else:
            out["ratio (active)" if "ratio (active)" in out else "ratio"] = ratio
        if "compute" in row:
            out.update({"compute": c(row["compute"]), "n_opt": n(row["n_opt"]), "d_opt": n(row["d_opt"]), "loss": loss})
        else:
            out.update({"6ND": c(row["training_compute"]), "loss": loss})
        return out
    if "n_params" in row:
        return {"params": n(row["n_params"]), "compute": c(row["compute"]), "d_opt": n(row["d_opt"]),
                "D/N": f"{row['tokens_per_param']:.1f}", "loss": loss, "rule_d": n(row["rule_d"]),
                "rule_compute": c(row["rule_compute"])}  # fmt: skip
    return {"compute": c(row["compute"]), "n_opt": n(row["n_opt"]), "d_opt": n(row["d_opt"]),
            "D/N": f"{row['tokens_per_param']:.1f}", "loss": loss, "rule_n": n(row["rule_n"]),
            "rule_d": n(row["rule_d"]), "n_ratio": r(row["n_ratio"])}  # fmt: skip


def _full(row: dict[str, Any]) -> dict[str, Any]:
    """A row for ``--format markdown``: every column; counts exact, FLOPs and float sizes as 1.50e+13."""
    from registry.output.formats import flops_text, ratio_text

    out: dict[str, Any] = {}
    for key, value in row.items():
        if key in ("training_compute", "compute", "rule_compute") and value is not None:
            out[key] = flops_text(value)
        elif value is None or isinstance(value, (str, int)):
            out[key] = value
        elif key in ("tokens_ratio", "tokens_ratio_active", "n_ratio"):
            out[key] = ratio_text(value)
        elif key in ("predicted_loss", "loss"):
            out[key] = f"{value:.3f}"
        elif key == "tokens_per_param":
            out[key] = f"{value:.1f}"
        else:
            out[key] = flops_text(value)
    return out


def _table(rows: list[dict[str, Any]], fmt: str) -> str:
    """The rows in one table: every row gets the same columns; columns empty in every row and,
    on a narrow terminal, the optional ones are left out (a line says which)."""
    from registry.output.display import fitted_table

    if any("ratio (active)" in r for r in rows):
        rows = [{("ratio (active)" if k == "ratio" else k): v for k, v in r.items()} for r in rows]
    keys = list(dict.fromkeys(k for r in rows for k in r))
    keys = [k for k in keys if any(r.get(k) for r in rows)]
    text, dropped = fitted_table([{k: r.get(k) for k in keys} for r in rows], fmt, _RIGHT, _OPTIONAL)
    if dropped:
        text += f"\n(left out to fit the terminal: {', '.join(dropped)}; --format json has every column)"
    return text
