"""Benchmarks of registry: every figure a ratio to a baseline measured in the same run.

Run by hand (not by the tests)::

    python benchmarks/bench.py [--quick] [--venv DIR] [--markdown]

It makes a temporary virtualenv and ``pip install``s this checkout into it (NOT editable:
an editable install's import finder slows every start, the baseline's too), then runs every
subprocess from a directory outside the checkout (inside it, ``python -m registry`` would
import the source tree, where ``registry.plugins`` does not exist). Figures:

1. cold ``registry count specs/gpt2-xl.toml`` / the dependency floor: a script that imports
   argparse, tomllib, pluggy and pydantic and validates one pydantic model (target <= 1.25x);
   and / a bare ``python -c pass``; cold ``registry count`` of a published ``config.json``
   (every model type's row loaded as data) / the floor;
2. ``registry --help`` / ``python -c pass`` (target <= 4x);
3. counting an already loaded gpt2-xl in-process (target >= 150,000/s), and building and
   counting gpt2-xl from its hyper-parameters (``registry.build_model`` + ``registry.count``);
4. a sweep of 100,000 DISTINCT GPT configurations through ``registry.build_model`` and
   ``registry.count`` / the closed-form formula over the same configurations (target <= 100x,
   identical counts);
5. transformers' ``GPT2Model`` of gpt2-xl on the meta device, process to process (imports
   included, against the cold ``registry count``) and warm in-process (against
   ``build_model`` + ``count``), when torch and transformers are installed in the running
   interpreter; counts compared;
6. a repo id against a local Hub (tests/hub_server.py, ``HF_ENDPOINT`` pointed at it): the
   requests of a first ``registry count org/name``, of a cached one (target: at most one
   revision check) and of one with ``HF_HUB_OFFLINE=1`` (target: none), and the cached
   count's time against the cold count of a spec file.

Subprocess timings are medians of interleaved runs (each command once per round, so that
the machine's load affects them alike); the machine may be loaded by other processes:
``uptime`` is printed first, and ratios move less than times.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: The dependency floor: what any implementation of the design must import and do.
FLOOR = textwrap.dedent(
    """
    import argparse, tomllib, pluggy
    from pydantic import BaseModel, ConfigDict

    class Params(BaseModel):
        model_config = ConfigDict(frozen=True, extra="forbid", strict=True)
        vocab_size: int = 50257
        n_positions: int = 1024
        d_model: int
        n_layers: int
        n_heads: int

    argparse.ArgumentParser(prog="floor").parse_args([])
    data = tomllib.loads("[params]\\nd_model = 1600\\nn_layers = 48\\nn_heads = 25\\n")
    print(Params.model_validate(data["params"]))
    """
)

#: In-process figures, run by the non-editable install's interpreter; prints one JSON object.
IN_PROCESS = textwrap.dedent(
    """
    import json, statistics, sys, time
    import registry

    SPEC, SWEEP_N = sys.argv[1], int(sys.argv[2])

    def rate(fn, seconds=1.0):
        fn()
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < seconds:
            for _ in range(100):
                fn()
            n += 100
        return n / (time.perf_counter() - start)

    def gpt_formula(v, p, d, layers):
        return v * d + p * d + layers * (12 * d * d + 13 * d) + 2 * d

    (model,) = registry.load(SPEC)
    count_rate = rate(lambda: registry.count(model))
    build = lambda: registry.count(registry.build_model("gpt", d_model=1600, n_layers=48, n_heads=25))
    build_rate = rate(build)
    formula_rate = rate(lambda: gpt_formula(50257, 1024, 1600, 48))

    configs = []
    for i in range(SWEEP_N):
        heads = 1 + i % 25
        configs.append((32000 + i, 128 * (1 + (i // 25) % 16), 64 * heads, 1 + (i // 400) % 48, heads))
    assert len(set(configs)) == SWEEP_N, "the sweep's configurations must be distinct"
    formula_s, sweep_s = [], []
    for _ in range(3):
        start = time.perf_counter()
        totals = [gpt_formula(v, p, d, n) for v, p, d, n, _ in configs]
        formula_s.append(time.perf_counter() - start)
    start = time.perf_counter()
    ours = [
        registry.count(registry.build_model(
            "gpt", vocab_size=v, n_positions=p, d_model=d, n_layers=n, n_heads=h)).total_params
        for v, p, d, n, h in configs
    ]
    sweep_s = time.perf_counter() - start
    print(json.dumps({
        "count_rate": count_rate, "build_rate": build_rate, "formula_rate": formula_rate,
        "formula_s": min(formula_s), "sweep_s": sweep_s, "identical": ours == totals,
        "gpt2_xl": model.architecture.tally.params,
    }))
    """
)

#: transformers, process to process: imports and the meta-device model.
TRANSFORMERS_COLD = textwrap.dedent(
    """
    import torch, transformers
    config = transformers.GPT2Config(n_embd=1600, n_layer=48, n_head=25)
    with torch.device("meta"):
        print(sum(p.numel() for p in transformers.GPT2Model(config).parameters()))
    """
)

#: transformers and registry warm, in one process of the running interpreter.
WARM = textwrap.dedent(
    """
    import json, statistics, time
    import torch, transformers
    import registry

    def median_time(fn, runs):
        fn()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    config = transformers.GPT2Config(n_embd=1600, n_layer=48, n_head=25)

    def theirs():
        with torch.device("meta"):
            return sum(p.numel() for p in transformers.GPT2Model(config).parameters())

    def ours():
        return registry.count(registry.build_model("gpt", d_model=1600, n_layers=48, n_heads=25)).total_params

    print(json.dumps({"theirs_s": median_time(theirs, 5), "ours_s": median_time(ours, 200),
                      "identical": theirs() == ours()}))
    """
)


def hub_figures(exe: Path, work: Path, runs: int) -> dict[str, object]:
    """Requests a repo count makes against a local Hub (first, cached, offline), and the cached count's time."""
    sys.path.insert(0, str(ROOT))
    from tests.hub_server import HubState, Repo, commit_of, serve

    repo = "HuggingFaceTB/SmolLM2-135M"
    config = (ROOT / "docs" / "examples" / "smollm2-135m" / "config.json").read_bytes()
    state = HubState(repos={repo: Repo(commits={commit_of("bench"): {"config.json": config}},
                                       refs={"main": commit_of("bench")})})  # fmt: skip
    server, endpoint = serve(state)
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_") and "PROXY" not in k.upper()}
    env.update(HF_ENDPOINT=endpoint, HF_HOME=str(work / "hf"), HF_HUB_DISABLE_TELEMETRY="1", NO_PROXY="localhost,127.0.0.1")
    try:
        requests = []
        for offline in (False, False, True):
            state.reset()
            subprocess.run([str(exe), "count", repo], capture_output=True, check=True, cwd=work,
                           env={**env, **({"HF_HUB_OFFLINE": "1"} if offline else {})})  # fmt: skip
            requests.append(len(state.requests))
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([str(exe), "count", repo], capture_output=True, check=True, cwd=work, env=env)
            times.append(time.perf_counter() - start)
    finally:
        server.shutdown()
    return {"first": requests[0], "cached": requests[1], "offline": requests[2], "cached_s": statistics.median(times)}


def make_venv(where: Path, source: Path) -> Path:
    """A virtualenv at ``where`` with the checkout ``source`` pip-installed (not editable); its python."""
    python = where / ("Scripts" if os.name == "nt" else "bin") / "python"
    pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    if python.exists():  # reused: this checkout again, over the one installed before
        subprocess.run([*pip, "--force-reinstall", "--no-deps", str(source)], check=True, cwd=where)
    else:
        subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
        subprocess.run([*pip, str(source)], check=True, cwd=where)
    return python


def interleaved(commands: dict[str, list[str]], runs: int, cwd: Path) -> dict[str, float]:
    """Median wall time of each command, run once per round (after one warm-up round)."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for round_ in range(runs + 1):
        for name, cmd in commands.items():
            start = time.perf_counter()
            subprocess.run(cmd, capture_output=True, check=True, cwd=cwd)
            if round_:
                times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs and a 10,000-configuration sweep")
    parser.add_argument("--venv", type=Path, help="make (or reuse) the virtualenv here and keep it")
    parser.add_argument("--markdown", action="store_true", help="also print the README's Speed table")
    parser.add_argument("--source", type=Path, default=ROOT, help="the checkout to install (default: this one)")
    parser.add_argument("--no-hub", action="store_true", help="skip the Hub figures (a checkout from before repo ids)")
    args = parser.parse_args()
    source = args.source.resolve()
    runs, sweep_n = (5, 10_000) if args.quick else (15, 100_000)

    print(subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip() if shutil.which("uptime") else "")
    work = Path(tempfile.mkdtemp(prefix="registry-bench-"))
    try:
        python = make_venv(args.venv.resolve() if args.venv else work / "venv", source)
        spec = source / "specs" / "gpt2-xl.toml"
        config = source / "tests" / "configs" / "llama-2-7b" / "config.json"  # a published config.json
        exe = python.parent / ("registry.exe" if os.name == "nt" else "registry")
        (work / "floor.py").write_text(FLOOR)
        (work / "in_process.py").write_text(IN_PROCESS)
        cold = interleaved(
            {
                "bare": [str(python), "-c", "pass"],
                "floor": [str(python), str(work / "floor.py")],
                "count": [str(exe), "count", str(spec)],
                "config": [str(exe), "count", str(config)],
                "help": [str(exe), "--help"],
            },
            runs,
            work,
        )
        hub = None if args.no_hub else hub_figures(exe, work, max(3, runs // 3))
        out = subprocess.run([str(python), str(work / "in_process.py"), str(spec), str(sweep_n)],
                             capture_output=True, text=True, check=True, cwd=work).stdout  # fmt: skip
        inproc = json.loads(out)
        warm = cold_tf = None
        try:
            import torch  # noqa: F401
            import transformers  # noqa: F401
        except ImportError:
            print("transformers comparison: skipped (pip install -e '.[reference]')")
        else:
            (work / "tf_cold.py").write_text(TRANSFORMERS_COLD)
            (work / "warm.py").write_text(WARM)
            tf = interleaved({"theirs": [sys.executable, str(work / "tf_cold.py")], "ours": [str(exe), "count", str(spec)]},
                             max(3, runs // 3), work)  # fmt: skip
            tf_count = int(subprocess.run([sys.executable, str(work / "tf_cold.py")], capture_output=True, text=True,
                                          check=True, cwd=work).stdout)  # fmt: skip
            cold_tf = (tf["theirs"], tf["ours"], tf_count == inproc["gpt2_xl"])
            warm = json.loads(subprocess.run([sys.executable, str(work / "warm.py")], capture_output=True, text=True,
                                             check=True, cwd=work).stdout)  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)

    ms = lambda s: f"{s * 1000:.0f} ms"  # noqa: E731
    rows = [
        ("cold `registry count specs/gpt2-xl.toml` / dependency floor",
         f"{ms(cold['count'])} / {ms(cold['floor'])}: {cold['count'] / cold['floor']:.2f}x", "at most 1.25x"),
        ("cold `registry count tests/configs/llama-2-7b/config.json` / dependency floor",
         f"{ms(cold['config'])} / {ms(cold['floor'])}: {cold['config'] / cold['floor']:.2f}x",
         "no worse than before the model types became rows (issue 19)"),
        ("cold `registry count specs/gpt2-xl.toml` / `python -c pass`",
         f"{ms(cold['count'])} / {ms(cold['bare'])}: {cold['count'] / cold['bare']:.1f}x", ""),
        ("dependency floor / `python -c pass`",
         f"{ms(cold['floor'])} / {ms(cold['bare'])}: {cold['floor'] / cold['bare']:.1f}x", ""),
        ("`registry --help` / `python -c pass`",
         f"{ms(cold['help'])} / {ms(cold['bare'])}: {cold['help'] / cold['bare']:.1f}x", "at most 4x"),
        ("counting an already loaded gpt2-xl",
         f"{inproc['count_rate']:,.0f}/s ({inproc['formula_rate'] / inproc['count_rate']:.0f}x one formula evaluation)",
         "at least 150,000/s"),
        ("`build_model` + `count` of gpt2-xl",
         f"{inproc['build_rate']:,.0f}/s ({inproc['formula_rate'] / inproc['build_rate']:.0f}x one formula evaluation)", ""),
        (f"sweep of {sweep_n:,} distinct GPT configurations (`build_model` + `count`) / closed-form formula",
         f"{inproc['sweep_s']:.2f} s / {ms(inproc['formula_s'])}: {inproc['sweep_s'] / inproc['formula_s']:.0f}x, "
         f"counts {'identical' if inproc['identical'] else 'DIFFERENT'}", "at most 100x, identical"),
    ]  # fmt: skip
    if hub is not None:
        rows += [
            ("requests of `registry count org/name` against a local Hub: first / cached / `HF_HUB_OFFLINE=1`",
             f"{hub['first']} / {hub['cached']} / {hub['offline']}", "cached at most 1, offline 0"),
            ("cached `registry count org/name` / cold `registry count specs/gpt2-xl.toml`",
             f"{ms(hub['cached_s'])} / {ms(cold['count'])}: {hub['cached_s'] / cold['count']:.1f}x", ""),
        ]  # fmt: skip
    if cold_tf is not None:
        theirs, ours, same = cold_tf
        rows.append(("transformers `GPT2Model` on the meta device, process to process / cold `registry count`",
                     f"{ms(theirs)} / {ms(ours)}: {theirs / ours:.0f}x, counts {'identical' if same else 'DIFFERENT'}", ""))  # fmt: skip
    if warm is not None:
        rows.append(("transformers `GPT2Model` on the meta device, warm / `build_model` + `count`",
                     f"{warm['theirs_s'] * 1000:.0f} ms / {warm['ours_s'] * 1e6:.0f} us: {warm['theirs_s'] / warm['ours_s']:,.0f}x, "
                     f"counts {'identical' if warm['identical'] else 'DIFFERENT'}", ""))  # fmt: skip
    for what, measured, target in rows:
        print(f"{what}: {measured}" + (f"  (target {target})" if target else ""))
    if args.markdown:
        print("\n| what | measured | target |\n|---|---|---|")
        for row in rows:
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
