"""``registry chinchilla SPEC... [--compute C] | --params N``: the 20-tokens rule and compute-optimal sizes."""

from __future__ import annotations

import argparse
from typing import Any

from registry.commands import add_strict_option, add_format_option, load_models, scientific

NAME = "chinchilla"
HELP = "Chinchilla planning: 20 tokens per parameter, compute-optimal N and D (or the budget for N), predicted loss"
DESCRIPTION = """Per model: the 20-tokens-per-parameter budget for its total and its active
parameters (they differ for a mixture of experts), its published training tokens and the
ratio between them, the training compute 6*N*D and the loss a fit predicts. With
--compute C: the fit's compute-optimal parameters and tokens at C (closed form, C = 6ND),
for the budgets alone when no spec is given. With --params N: the inverse, the compute C at
which N is compute-optimal, its D, tokens per parameter and loss, beside the rule's D = k*N
and compute 6*N*k*N (k = 20 unless --tokens-per-param). --params goes alone, without SPEC
or --compute: it answers the other question (what budget suits this size?) with other
columns. Fits: approach3 (Hoffmann et al. 2022, as printed) and besiroglu (Besiroglu et al.
2024's refit). See docs/scaling-laws.md."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``registry chinchilla``."""
    from registry.scaling import FITS

    parser.add_argument("specs", nargs="*", metavar="SPEC", help="spec file(s) (.toml), or a Hugging Face config.json")
    add_strict_option(parser)
    parser.add_argument(
        "--compute", nargs="+", default=None, metavar="C", help="compute budget(s) in FLOPs, e.g. 1.92e19"
    )
    parser.add_argument(
        "--params", nargs="+", default=None, metavar="N",
        help="parameter count(s), e.g. 1.3e9: the compute at which each is optimal (not with SPEC or --compute)",
    )  # fmt: skip
    parser.add_argument(
        "--fit", default="approach3", metavar="NAME",
        help=f"loss fit: {', '.join(FITS)} (default approach3: Chinchilla as printed; besiroglu: the 2024 refit)",
    )  # fmt: skip
    parser.add_argument(
        "--tokens-per-param", default="20", metavar="K", help="the rule's tokens per parameter (default 20)"
    )
    add_format_option(parser)


def run(args: argparse.Namespace) -> int:
    """Print the planning rows; exit 2 if any spec could not be read."""
    from registry import render
    from registry.commands._options import choice, positive_float, positive_int
    from registry.planning import budget_rows, model_rows, param_rows, trend
    from registry.scaling import FITS, get_fit

    if args.params and (args.specs or args.compute):
        raise SystemExit("registry chinchilla: error: --params goes alone, without spec files or --compute")
    if not args.specs and not args.compute and not args.params:
        raise SystemExit("registry chinchilla: error: give spec file(s), --compute C, or both; or --params N")
    budgets = [positive_float("chinchilla", "--compute", c) for c in args.compute or ()]
    sizes = [positive_int("chinchilla", "--params", n) for n in args.params or ()]
    k = positive_float("chinchilla", "--tokens-per-param", args.tokens_per_param)
    fit = get_fit(choice("chinchilla", "--fit", args.fit, FITS))
    ok = True
    if sizes:
        rows = param_rows(sizes, fit, k)
    elif args.specs:
        models, ok = load_models(args.specs, getattr(args, "strict", False))
        rows = model_rows(models, fit, budgets, k)
    else:
        rows = budget_rows(budgets, fit, k)
    if args.format in ("json", "csv"):
        if rows or args.format == "json":
            print(render.rows_text(rows, args.format))
    elif rows:
        text = render.rows_text([_shown(r) for r in rows], args.format)
        sentence = trend(rows, k) if args.specs else None
        print(text + (f"\n\n{sentence}" if sentence else ""))
    return 0 if ok else 2


#: How the table shows each kind of column (JSON and CSV keep full precision).
_RATIOS = ("tokens_ratio", "tokens_ratio_active", "n_ratio")
_SCIENTIFIC = ("training_compute", "compute", "n_opt", "d_opt", "rule_n", "rule_d", "n_params", "rule_compute")
_LOSSES = ("predicted_loss", "loss", "tokens_per_param")


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    from registry.planning import ratio_text

    out = {}
    for key, value in row.items():
        if value is None or isinstance(value, str):
            out[key] = value
        elif key in _RATIOS:
            out[key] = ratio_text(value)
        elif key in _SCIENTIFIC:
            out[key] = scientific(value)
        elif key in _LOSSES:
            out[key] = f"{value:.3f}" if key != "tokens_per_param" else f"{value:.1f}"
        else:
            out[key] = value
    return out
