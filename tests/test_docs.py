"""Every command shown in a ```console block of docs/ runs, and prints what the docs show."""

from __future__ import annotations

import os
import re
import shlex
from decimal import Decimal, getcontext
from pathlib import Path

import pytest

from tests.conftest import ROOT

DOCS = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def examples():
    for doc in DOCS:
        for block in BLOCK.findall(doc.read_text()):
            command, output = None, []
            for line in block.splitlines():
                if line.startswith("$ "):
                    if command:
                        yield doc, command, output
                    command, output = line[2:], []
                else:
                    output.append(line)
            if command:
                yield doc, command, output


CASES = list(examples())
getcontext().prec = 100  # exact comparisons of the counts the pages print


@pytest.mark.parametrize("doc, command, output", CASES, ids=[f"{d.name}:{c}" for d, c, _ in CASES])
def test_doc_command(doc, command, output, cli, monkeypatch):
    monkeypatch.chdir(ROOT)
    words = shlex.split(command.split("#")[0])
    assert words[0] == "registry"
    args = [w for arg in words[1:] for w in (sorted(str(p.relative_to(ROOT)) for p in ROOT.glob(arg)) if "*" in arg else [arg])]
    result = cli(*args)
    if not output:  # the README's list of commands: they must run without error
        assert result.code == 0, result.err
        return
    printed = (result.out + result.stderr).rstrip("\n").splitlines()
    assert [line.rstrip() for line in printed] == [line.rstrip() for line in output]


def test_docs_have_examples():
    assert any(doc.name == "spec-format.md" for doc, _, _ in CASES)
    assert os.path.exists(ROOT / "docs" / "plugin-example" / "registry_neox.py")


# --- the numbers written in the prose of docs/seeds/ -----------------------------------------------
#
# Every number of a seed page's prose (four digits or more, a decimal, a percentage, a ratio, a
# size such as 306M or 10.5B, 4.72e20) must be printed, at the precision the prose gives it, by
# a command shown on the same page; or be derived below from its inputs; or be quoted below
# from a named source (the seed document, a paper, a config).

SEED_PAGES = sorted((ROOT / "docs" / "seeds").glob("*.md"))
SHOWN = re.compile(r"```(?:console|sh)\n(.*?)```", re.S)
PROSE_NUMBER = re.compile(r"(?<![\w.,/-])[−+-]?\d[\d,]*(?:\.\d+)?(?:e\d+)?(?:%|×|[MBT]\b)?")
OUTPUT_NUMBER = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:e[-+]?\d+)?(?:%|x|[MBT]\b)?")
SCALE = {"M": Decimal(10**6), "B": Decimal(10**9), "T": Decimal(10**12)}


def _unit(token: str) -> str:
    return {"x": "×"}.get(token[-1], token[-1]) if token[-1] in "%×xMBT" else ""


def _value(token: str) -> Decimal:
    return Decimal(token.replace("−", "-").replace(",", "").rstrip("%×xMBT"))


def _printed(text: str) -> list[tuple[str, Decimal]]:
    """(unit, value) of every number the page's commands print."""
    found = []
    for block in SHOWN.findall(text):
        for token in OUTPUT_NUMBER.findall(block):
            unit, value = _unit(token), _value(token)
            found.append(("", value * SCALE[unit]) if unit in SCALE else (unit, value))
    return [(u, v) for u, v in found if abs(v) < 10**30]


def _is_printed(token: str, printed: list[tuple[str, Decimal]]) -> bool:
    """The token is a printed number, rounded as the prose writes it (306M for 3.06e+08)."""
    unit, text = _unit(token), token.replace("−", "-").replace(",", "").rstrip("%×MBT")
    mantissa, _, exponent = text.partition("e")
    places = len(mantissa.partition(".")[2])
    scale = Decimal(10) ** int(exponent) if exponent else SCALE.get(unit, Decimal(1))
    want = "" if unit in SCALE else unit
    signed = token[0] in "−+-"  # an unsigned '0.47% less' is the size of a printed -0.47%
    return any(u == want and round((v if signed else abs(v)) / scale, places) == Decimal(mantissa) for u, v in printed)


def prose_numbers_not_printed(page: Path) -> list[str]:
    """The numbers of a page's prose that none of its commands prints."""
    text = page.read_text(encoding="utf-8")
    printed = _printed(text)
    prose = SHOWN.sub("", text)
    prose = re.sub(r"\]\([^)]*\)|arXiv \d{4}\.\d+|\b(?:19|20)\d\d\b|Table \d+(?:\.\d+)?", "", prose)
    left = []
    for token in (t.rstrip(",") for t in PROSE_NUMBER.findall(prose)):
        small = not _unit(token) and "." not in token and len(token.replace(",", "").lstrip("−+-")) < 4
        if not small and not _is_printed(token, printed):
            left.append(token)
    return left


def _notebook_chinchilla_params(d: int, ffw: int, heads: int, layers: int) -> int:
    """The seed notebook's chinchilla_params (nanoGPT's scaling_laws.ipynb), as it is written."""
    block = 3 * d * d + 3 * d + d * d + 2 * d + d * d + d + d * ffw + ffw + ffw * d + d + 4 * d
    return layers * block + 2 * d + d * 32000


def _notebook_row(params: int, d: int, ffw: int, heads: int, layers: int) -> tuple[str, str]:
    """The notebook's estimate of a Table A9 row ('3,468.9M') and its difference ('−1.73%')."""
    n = _notebook_chinchilla_params(d, ffw, heads, layers)
    return f"{n / 1e6:,.1f}M", f"{(n / params - 1) * 100:+.2f}%".replace("-", "−")


A9_OFF_ROWS = [(3530e6, 2688, 10752, 22, 36), (4084e6, 2944, 11776, 22, 36), (11452e6, 4352, 17408, 32, 47),
               (12569e6, 4608, 18432, 32, 47), (13735e6, 4864, 19456, 32, 47), (14940e6, 4992, 19968, 32, 49)]  # fmt: skip
_off = [_notebook_row(*row) for row in A9_OFF_ROWS]
_pct = sorted(abs(float(p.replace("−", "-").rstrip("%"))) for _, p in _off)
_gpt2_nobias_block = 4 * 768**2 + 8 * 768**2 + 2 * 768  # nanoGPT transformer_sizing.ipynb, bias=False


def _c(n: float) -> str:
    return f"{n:,}"


# token -> the same token, computed from its inputs
DERIVED = {
    "bert-110m.md": {
        "0.47%": f"{(1 - 109_482_240 / 110e6) * 100:.2f}%",  # 110M (Devlin et al.) against the count
        "4,722,432": _c((768 * 3072 + 3072) + (3072 * 768 + 768)),
        "132,182,880": _c(132_152_880 + 30_000),  # torchinfo's total + the bias's second name
    },
    "chinchilla-todos.md": {
        # the notebook's gpt_params: every GPT-2 tensor but wpe (d = 768, 12 layers, vocab 50,257)
        "123,653,376": _c(12 * (3 * 768**2 + 3 * 768 + 768**2 + 768 + 4 * 768**2 + 3072 + 3072 * 768 + 768 + 4 * 768)
                          + 2 * 768 + 768 * 50257),  # fmt: skip
        "123.653376M": f"{(124_439_808 - 786_432) / 1e6}M",
        **{row: row for row, _ in _off},
        **{pct: pct for _, pct in _off},
        **{row: row for row in [r for r, _ in _off]},
        "1.7%": f"{_pct[0]:.1f}%", "7.3%": f"{_pct[-1]:.1f}%", "7%": f"{_pct[-1]:.0f}%",
        "316.23M": f"{10**8.5 / 1e6:.2f}M", "316M": f"{10**8.5 / 1e6:.0f}M", "8.5": "8.5",
        "10.12B": f"{1.92e19 / (6 * 10**8.5) / 1e9:.2f}B", "10.1B": f"{1.92e19 / (6 * 10**8.5) / 1e9:.1f}B",
        "11.4": f"{300e9 / 26_314_465_280:.1f}",  # GPT-3's 300B tokens / the rule's budget for gpt3-xl
        "12%": f"{(29.1e9 / 26e9 - 1) * 100:.0f}%",  # the refit's 29.1B against the rule's 26B
        "18.95×": f"{8.1e12 / (20 * 21_375_800_320):.2f}×",  # DeepSeek-V2: 8.1T / 20 x active
        "1.3": f"{1.32:.1f}",  # the dense models' 1.32x and 1.92x
    },
    "gpt2-1.5b.md": {
        "3,840": _c(3072 + 768), "6,912": _c(2304 + 768 + 3072 + 768), "8,448": _c(6912 + 2 * 768),
        "889,536": _c((50257 * 768 - 38_596_416) + 1024 * 768 + 12 * 8448 + 768),
        "124,337,664": _c(50257 * 768 + 1024 * 768 + 12 * _gpt2_nobias_block + 768),
        "27,648": _c(12 * 3 * 768), "4,800": _c(3 * 1600), "230,400": _c(48 * 3 * 1600),
        "111.0B": f"{1_775_803_760_640 / 16 / 1e9:.1f}B",  # the experts component / 16
        "4%": f"{(1 - 1_438_683_648 / 1.5e9) * 100:.0f}%",
    },
}
# token -> where the page quotes it from
QUOTED = {
    "bert-110m.md": {},
    "chinchilla-todos.md": {
        **dict.fromkeys(["2,688", "2,816", "2,944", "4,352", "4,096", "4,608", "4,864", "4,992"],
                        "Table A9: d_model, and n_heads x kv_size"),  # fmt: skip
        "32,000": "Hoffmann et al. 2022, Section 4.1: the vocabulary",
        "60.32B": "the seed notebook's output (its grid search)",
    },
    "gpt2-1.5b.md": {
        "1.5": "the course exercise and notes: '1.5 billion'",
        "123,550,272": "the seed GPT-2 blog's total", "38,596,416": "the seed GPT-2 blog's token embedding",
        "7,079,424": "the seed GPT-2 blog's per-layer sum (= nanoGPT's bias=False block, derived above)",
        **dict.fromkeys(["345M", "762M", "1542M"], "the GPT-2 paper, Table 2"),
        "1,600": "gpt2-xl's config: n_embd", "12,288": "the course notes: GPT-3's d",
        "10,752": "specs/gpt4-moe-rumored.toml's assumption (its comments)",
        **dict.fromkeys(["111B", "280B", "3700"], "the course notes' rumoured GPT-4"),
    },
}


def test_derived_numbers_are_right():
    for page, numbers in DERIVED.items():
        for token, computed in numbers.items():
            assert token == computed, (page, token, computed)
    assert _c(_gpt2_nobias_block) == "7,079,424"  # the blog's per-layer sum is nanoGPT's bias=False block


@pytest.mark.parametrize("page", SEED_PAGES, ids=lambda p: p.name)
def test_seed_prose_numbers_are_printed_derived_or_quoted(page):
    unexplained = sorted(set(prose_numbers_not_printed(page)) - set(DERIVED[page.name]) - set(QUOTED[page.name]))
    assert unexplained == [], f"{page.name}: numbers no command prints, not derived or quoted in tests/test_docs.py"
    text = SHOWN.sub("", page.read_text(encoding="utf-8"))
    stale = [t for t in [*DERIVED[page.name], *QUOTED[page.name]] if t not in text]
    assert stale == [], f"{page.name}: no longer in the page: {stale}"


def test_prose_check_catches_a_wrong_number(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```console\n$ registry count x\ntotal 3.06e+08  1,234,567  -0.47%  18.9x\n```\n"
                    "It is 306M, 1,234,567 and 0.47% and 18.9×; but 1,234,568 and 18.95× are not shown.\n")  # fmt: skip
    assert prose_numbers_not_printed(page) == ["1,234,568", "18.95×"]


def test_ci_runs_the_readmes_test_command_verbatim():
    """.ci/run's last line is the README's second set-up command, character for character (CI must run what a new
    user is told to run)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)\n```", readme, re.S)
    assert block is not None
    commands = block.group(1).splitlines()
    assert len(commands) == 2 and commands[1].endswith("python -m pytest -q")
    ci = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert ci[-1] == commands[1]
