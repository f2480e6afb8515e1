"""Fuzzing the loader and the command line with hostile input (issue 5).

Whatever a file holds, a read command exits 0 or 2. On 2, every bad file gets one line
per problem on stderr (at most ``MAX_ERRORS``, then one line saying how many more), each
starting with its path (``file:line: field: problem``), never a traceback nor
``registry: internal error``. No read command writes to a file, and a
spec never runs code. Huge integers count exactly (no overflow, no float rounding).

The input comes from three sources:

* the seed corpus ``tests/fuzz_corpus/``: small hostile files, one for each case the
  issue lists and one reproducer for each bug the fuzzer found (see its README);
* a mutation fuzzer: deterministic mutations (a :class:`random.Random` seeded by file
  and mutant number) of every shipped spec and of config.json files built from
  ``tests/_hf_configs.py``;
* hypothesis, derandomized: generated TOML documents, raw bytes, option values, and
  GPT sizes up to 10**40 whose count must equal an exact formula.

A crash in a place listed in ``KNOWN_CRASHES`` (found, not fixed yet) raises
``KnownCrash``: its reproducers are strict xfails, and the fuzzers tolerate it; any other
crash fails with the input and the traceback. Every command runs under ``guard()``: a
hang or runaway memory fails the test instead of the CI machine.

Set ``REGISTRY_FUZZ_SCALE=N`` to run N times as many mutants and examples (a longer
local hunt); CI runs the default of 1.
"""

from __future__ import annotations

import functools
import importlib
import io
import json
import math
import os
import random
import re
import signal
import struct
import subprocess
import sys
import threading
import traceback
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from pathlib import Path

try:
    import resource
except ImportError:  # not on Windows
    resource = None

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.cli import main
from registry.sources.spec import MAX_ERRORS
from tests.conftest import ROOT, SPECS, Result, result_of, without_prefix

CORPUS = Path(__file__).resolve().parent / "fuzz_corpus"
SCALE = max(1, int(os.environ.get("REGISTRY_FUZZ_SCALE", "1")))
SPEC_FILES = sorted(SPECS.glob("*.toml"))

#: Settings of every hypothesis test here: reproducible (derandomized, no example
#: database), no deadline (timings vary on CI), modest sizes.
FUZZ = settings(
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=60 * SCALE,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


# --------------------------------------------------------------------------- running the CLI

#: The fuzzer's own safety net: a command that runs away fails after this many seconds,
#: or past this many more bytes of memory, rather than hanging CI or filling the machine.
GUARD_SECONDS = 30
GUARD_MEMORY = 512 * 1024**2  # 8 MiB specs need about 200 MiB


def _vm_bytes() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


@contextmanager
def guard(seconds: int = GUARD_SECONDS, extra_memory: int = GUARD_MEMORY):
    """Turn a hang into TimeoutError and runaway memory into MemoryError (both then show as
    ``registry: internal error``). A no-op where signals or resource limits are missing."""
    limit = None
    vm = _vm_bytes()
    if resource is not None and vm is not None:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = vm + extra_memory
        if (hard == resource.RLIM_INFINITY or wanted < hard) and (soft == resource.RLIM_INFINITY or wanted < soft):
            limit = (soft, hard)
            resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    alarm = hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()
    if alarm:

        def expire(signum, frame):
            raise TimeoutError(f"still running after {seconds} s")

        previous = signal.signal(signal.SIGALRM, expire)
        signal.alarm(seconds)
    try:
        yield
    finally:
        if alarm:
            signal.alarm(0)
            signal.signal(signal.SIGALRM, previous)
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, limit)


@contextmanager
def recording_crashes(crashes: list[BaseException]):
    """Wrap every command's ``run`` so that an unexpected exception is kept (the CLI then
    prints its one ``internal error`` line as usual): where it came from tells a known
    crash from a new one, without running the command twice."""
    from registry.cli import COMMANDS
    from registry.errors import RegistryError

    def recorded(run_command):
        def wrapper(args):
            try:
                return run_command(args)
            except RegistryError:
                raise
            except Exception as exc:
                crashes.append(exc)
                raise

        return wrapper

    modules = [importlib.import_module(name) for name in COMMANDS]
    originals = [module.run for module in modules]
    for module in modules:
        module.run = recorded(module.run)
    try:
        yield
    finally:
        for module, original in zip(modules, originals):
            module.run = original


def run(*args: object) -> Result:
    """``registry ARGS`` in-process, guarded (no fixture, so that hypothesis can call it).
    ``result.crash`` is the exception behind an ``internal error`` line, if any."""
    out, err, crashes = io.StringIO(), io.StringIO(), []
    with redirect_stdout(out), redirect_stderr(err), recording_crashes(crashes), guard():
        code = main([str(a) for a in args])
    result = result_of([str(a) for a in args], code, out.getvalue(), err.getvalue())
    result.crash = crashes[-1] if crashes else None
    return result


#: Crashes found and not fixed yet, by (file, function) of the innermost frame in
#: registry's code (empty: every crash found so far is fixed). A new entry gets a
#: reproducer (the corpus, or a test of its own) marked xfail(strict=True), so that its
#: fix shows as an unexpected pass; the mutation and hypothesis tests tolerate it meanwhile.
KNOWN_CRASHES: dict[tuple[str, str], str] = {}


class KnownCrash(Exception):
    """A command crashed in one of :data:`KNOWN_CRASHES`; ``site`` is which."""

    def __init__(self, site: tuple[str, str], message: str):
        super().__init__(message)
        self.site = site


def crash_site(exc: BaseException) -> tuple[str, str]:
    """The (file, function) of the innermost frame of an exception in registry's own code."""
    ours = [f for f in traceback.extract_tb(exc.__traceback__) if Path(f.filename).is_relative_to(ROOT)
            and not Path(f.filename).is_relative_to(ROOT / "tests")]  # fmt: skip
    return (Path(ours[-1].filename).relative_to(ROOT).as_posix(), ours[-1].name) if ours else ("?", "?")


def error_lines(err: str) -> list[str]:
    """The lines of stderr (without the ``registry COMMAND:`` prefix), without the warnings
    of a broken third-party plugin."""
    return [line for line in err.splitlines() if not line.startswith("warning:")]


def check(args: tuple[object, ...], path: object, context: str = "") -> Result:
    """Run ``registry ARGS``: exit 0 with nothing on stderr, or exit 2 with one line per
    problem (at most MAX_ERRORS and a line saying how many more), each starting with ``path``.
    A crash in a known place raises KnownCrash; any other fails."""
    result = run(*args)
    where = f"registry {' '.join(map(str, args))}\n{context}\nexit {result.code}\nstderr: {result.err[:2000]!r}"
    if "internal error" in result.err or result.code not in (0, 2):
        site = crash_site(result.crash) if result.crash else ("?", "?")
        if site in KNOWN_CRASHES:
            raise KnownCrash(site, f"{KNOWN_CRASHES[site]} ({context})")
        trace = "".join(traceback.format_exception(result.crash)) if result.crash else ""
        raise AssertionError(f"{where}\n{trace}")
    assert "Traceback" not in result.err, where
    lines = error_lines(result.err)
    if result.code == 0:
        assert lines == [], where
    else:
        assert 1 <= len(lines) <= MAX_ERRORS + 1, where
        for line in lines:
            assert line.startswith(f"{path}:"), where
            assert len(line) <= 1000 + len(str(path)), where
    return result


def snapshot(path: Path) -> tuple[bytes, int] | None:
    """A file's bytes and modification time (None for a directory, a missing file, a bad name)."""
    try:
        return (path.read_bytes(), path.stat().st_mtime_ns) if path.is_file() else None
    except (OSError, ValueError):
        return None


#: What each mutant is fed to besides ``count --format json`` and ``validate``, in turn.
EXTRA_COMMANDS: tuple[tuple[str, ...], ...] = (
    ("count",),
    ("count", "--depth", "3"),
    ("count", "--format", "csv"),
    ("flops",),
    ("flops", "--format", "json", "--tokens", "1e12"),
    ("memory",),
    ("memory", "--train", "--format", "json"),
    ("chinchilla",),
    ("chinchilla", "--format", "json"),
)


def strict_json(text: str) -> object:
    """Parse JSON as a strict parser would: NaN and Infinity are not JSON."""

    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


def check_file(path: Path, extra: tuple[str, ...] | None = None, context: str = "") -> Result:
    """Run count (JSON), validate and ``extra`` on ``path``: each clean, the file unchanged."""
    before = snapshot(path)
    counted = check(("count", "--format", "json", path), path, context)
    if counted.code == 0:
        strict_json(counted.out)
    validated = check(("validate", path), path, context)
    assert (counted.code == 0) == (validated.code == 0), context
    if extra:
        check((*extra, path), path, context)
    assert snapshot(path) == before, f"{path} changed; {context}"
    return counted


# --------------------------------------------------------------------------- the seed corpus

#: Corpus files that still crash, each in a place listed in KNOWN_CRASHES.
KNOWN_CORPUS: dict[str, tuple[str, str]] = {}


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in (".toml", ".json"))


def _corpus_params():
    for path in corpus_files():
        marks = ()
        if path.name in KNOWN_CORPUS:
            reason = KNOWN_CRASHES[KNOWN_CORPUS[path.name]]
            marks = (pytest.mark.xfail(strict=True, raises=KnownCrash, reason=reason),)
        yield pytest.param(path, id=path.name, marks=marks)


@pytest.mark.parametrize("path", list(_corpus_params()))
def test_corpus(path):
    """Each hostile file: exit 2 with one clean line (or a count), whatever command reads it."""
    try:
        check_file(path, context=f"corpus {path.name}")
        for extra in EXTRA_COMMANDS:
            check((*extra, path), path, f"corpus {path.name}")
    except KnownCrash as exc:
        assert exc.site == KNOWN_CORPUS.get(path.name), f"{path.name} crashed in {exc.site}, not as expected"
        raise


def test_corpus_covers_the_cases():
    names = {p.name for p in corpus_files()}
    assert len(names) >= 25
    assert set(KNOWN_CORPUS) <= names


# --------------------------------------------------------------------------- mutations

#: Values a mutation puts in place of a value: zeros, negatives, huge, fractional, wrong types.
REPLACEMENTS = (
    "0", "-1", "-0", "+1", str(10**30), str(10**400), str(-(10**30)), str(10**599), str(10**600), "7" * 5000,
    "9223372036854775808", "0x7fffffffffffffff",
    "0b1", "0o17", "1_000", "1.5", "1e400", "-1e400", "inf", "-inf", "nan", "1e-400", "2.0",
    '"x"', '""', '"768"', "'''\nmulti\nline'''", "true", "false", "[]", "{}", "[1, 2]", "[[1], [2]]", "{ a = 1 }",
    '[{ kind = "linear" }]', "1979-05-27T07:32:00Z", "07:32:00", '"\\u0000"', '"\\ud800"',
)  # fmt: skip

_KEY_LINE = re.compile(r"^(\s*)([A-Za-z0-9_\"'.-]+)(\s*=\s*)(.*)$")
_NUMBER = re.compile(r"(?<![\w.])-?\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?(?![\w.])")
_GARBAGE = (b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\x1b[31m", b"\r", b"\r\n", b"\\", b"\"", b"'''", b"[", b"]]",
            b"=", b"{", b"\x7f", "\u202e".encode(), "\U0001f600".encode(), b"\xc3", b"#", b"\t")  # fmt: skip


def _key_lines(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if _KEY_LINE.match(line)]


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 2:
        return word + "x"
    i = rng.randrange(len(word) - 1)
    op = rng.randrange(3)
    if op == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # swap two letters
    if op == 1:
        return word[:i] + word[i + 1 :]  # drop one
    return word[:i] + rng.choice("aeiosx_") + word[i:]  # add one


def _nest(rng: random.Random, depth: int) -> str:
    """A value or table nested ``depth`` deep, one of several shapes."""
    shape = rng.randrange(5)
    if shape == 0:
        return "deep = " + "[" * depth + "1" + "]" * depth + "\n"
    if shape == 1:
        return "deep = " + "{ a = " * depth + "1" + " }" * depth + "\n"
    if shape == 2:
        return "[" + ".".join(["deep"] * depth) + "]\nx = 1\n"
    if shape == 3:
        return "[params." + ".".join(["a"] * depth) + "]\nx = 1\n"
    # every level down to 1000 (3.5 MB), then the deepest: the file stays under the size limit (a file
    # over it is refused unread, as test_multi_megabyte_files checks), and writing it stays cheap
    levels = [*range(min(depth, 1000)), *([depth - 1] if depth > 1000 else [])]
    return "".join("[[" + ".".join(["blocks"] * (i + 1)) + ']]\nkind = "repeat"\ncount = 2\n' for i in levels)


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One deterministic mutation of a TOML or JSON file; returns the bytes and its name."""
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    keyed = _key_lines(lines)
    op = rng.randrange(14)
    if op == 0 and lines:
        del lines[rng.randrange(len(lines))]
        return "\n".join(lines).encode(), "delete a line"
    if op == 1 and lines:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
        return "\n".join(lines).encode(), "duplicate a line"
    if op == 2 and len(keyed) >= 2:
        i, j = rng.sample(keyed, 2)
        a, b = _KEY_LINE.match(lines[i]), _KEY_LINE.match(lines[j])
        lines[i], lines[j] = a.expand(r"\1\2\3") + b.group(4), b.expand(r"\1\2\3") + a.group(4)
        return "\n".join(lines).encode(), "swap two values"
    if op == 3 and keyed:
        i = rng.choice(keyed)
        new = rng.choice(REPLACEMENTS)
        lines[i] = _KEY_LINE.match(lines[i]).expand(r"\1\2\3") + new
        return "\n".join(lines).encode(), f"replace a value with {new}"
    if op == 4:
        numbers = list(_NUMBER.finditer(text))
        if numbers:
            m = rng.choice(numbers)
            new = rng.choice(REPLACEMENTS)
            return (text[: m.start()] + new + text[m.end() :]).encode(), f"replace a number with {new}"
    if op == 5 and data:
        return data[: rng.randrange(len(data))], "truncate"
    if op == 6:
        i = rng.randrange(len(data) + 1)
        junk = b"".join(rng.choice(_GARBAGE) for _ in range(rng.randint(1, 4)))
        return data[:i] + junk + data[i:], f"insert {junk!r}"
    if op == 7:
        i = rng.randrange(len(data) + 1)
        return data[:i] + rng.randbytes(rng.randint(1, 64)) + data[i:], "insert random bytes"
    if op == 8:
        depth = rng.choice((50, 1000, 5000))
        return data + b"\n" + _nest(rng, depth).encode(), f"nest {depth} deep"
    if op == 9 and keyed:
        i = rng.choice(keyed)
        m = _KEY_LINE.match(lines[i])
        lines[i] = m.group(1) + _typo(m.group(2), rng) + m.group(3) + m.group(4)
        return "\n".join(lines).encode(), "misspell a key"
    if op == 10:
        headers = [i for i, line in enumerate(lines) if line.lstrip().startswith("[")]
        if headers:
            i = rng.choice(headers)
            line = lines[i].strip()
            lines[i] = line[1:-1] if line.startswith("[[") else f"[{line}]"
            return "\n".join(lines).encode(), "table <-> array of tables"
    if op == 11:
        i = rng.randrange(len(lines) + 1)
        key = rng.choice(("zzz", "params", "models", "blocks", "family", "name", "d_model", '"a\\nb"', '"\\u0000"'))
        lines.insert(i, f"{key} = {rng.choice(REPLACEMENTS)}")
        return "\n".join(lines).encode(), f"insert {key} ="
    if op == 12:
        family = rng.choice(("gpt", "bert", "llama", "moe-gpt", "deepseek", "chinchilla", "GPT", "", "os.system", "x" * 5000))
        return re.sub(r'(?m)^family\s*=.*$', f'family = "{family}"', text, count=1).encode(), f"family {family[:20]}"
    if op == 13:
        return text.replace("\n", rng.choice(("\r\n", "\r", "\n\n", " \\\n"))).encode(), "line endings"
    return data + b"\n", "append a newline"



#: Values a mutation puts in a config.json.
JSON_VALUES = (
    0, -1, 10**30, 10**400, 10**700, 1.5, float("inf"), float("nan"), "x", "", True, None, [], {}, [1, 2],
    {"a": 1}, ["GPT2Model", "GPT2Model"], "GPT2Model", "gpt2", "llama", [None],
)  # fmt: skip
JSON_KEYS = ("model_type", "architectures", "vocab_size", "hidden_size", "n_embd", "num_hidden_layers", "n_layer",
             "num_attention_heads", "num_key_value_heads", "intermediate_size", "head_dim", "tie_word_embeddings",
             "num_local_experts", "num_experts_per_tok", "n_routed_experts", "zzz", "a\nb", "")  # fmt: skip


def mutate_json(data: bytes, rng: random.Random) -> tuple[bytes, str] | None:
    """A structural mutation of a config.json (values, keys), or None if it is no JSON object."""
    try:
        config = json.loads(data)
    except ValueError:
        return None
    if not isinstance(config, dict):
        return None
    keys = list(config)
    op = rng.randrange(4)
    if op == 0 and keys:
        key, new = rng.choice(keys), rng.choice(JSON_VALUES)
        config[key] = new
        how = f"set {key} to {new!r:.30}"
    elif op == 1 and keys:
        key = rng.choice(keys)
        del config[key]
        how = f"delete {key}"
    elif op == 2:
        key, new = rng.choice(JSON_KEYS), rng.choice(JSON_VALUES)
        config[key] = new
        how = f"add {key!r} = {new!r:.30}"
    elif keys:
        key = rng.choice(keys)
        config[_typo(key, rng)] = config.pop(key)
        how = f"misspell {key}"
    else:
        return None
    return json.dumps(config, indent=2).encode(), how


def mutants(seed_name: str, data: bytes, count: int):
    """``count`` mutants of one file: 1 to 3 stacked mutations, seeded by name and number."""
    for n in range(count):
        rng = random.Random(f"{seed_name}#{n}")
        out, names = data, []
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            structural = mutate_json(out, rng) if seed_name.endswith(".json") and rng.random() < 0.6 else None
            out, name = structural or mutate(out, rng)
            names.append(name)
        yield n, out, "; ".join(names)


def hf_config_texts() -> dict[str, bytes]:
    """config.json files of a few published models (written here: no transformers needed)."""
    from tests._hf_configs import PUBLISHED

    out = {}
    for name in ("bert-base-uncased", "gpt2", "llama-2-7b", "mixtral-8x7b", "deepseek-v2"):
        if name in PUBLISHED:
            p = PUBLISHED[name]
            config = {"model_type": p.model_type, "architectures": [p.architecture], **p.fields}
            out[f"{name}.json"] = json.dumps(config, indent=2).encode()
    return out


def _seeds() -> list[tuple[str, bytes]]:
    return [(p.name, p.read_bytes()) for p in SPEC_FILES] + sorted(hf_config_texts().items())


#: Mutants of all seed files together (times REGISTRY_FUZZ_SCALE), shared out among them (at least 4
#: each): every mutation is met by many seeds of each kind, and the catalogue grows without the
#: test growing with it.
MUTANT_BUDGET = 600
MUTANTS = max(4, MUTANT_BUDGET // len(_seeds()))


@pytest.mark.parametrize("name,data", _seeds(), ids=[n for n, _ in _seeds()])
def test_mutated_specs(name, data, tmp_path):
    """Mutants of a shipped spec (or config.json): count, validate and one more command, clean.

    A crash in a known place (KNOWN_CRASHES, each with its own strict xfail) is tolerated;
    any other fails the test, with the mutant and the traceback.
    """
    suffix = Path(name).suffix
    for n, mutant, how in mutants(name, data, MUTANTS * SCALE):
        path = tmp_path / f"m{n}{suffix}"
        path.write_bytes(mutant)
        extra = EXTRA_COMMANDS[(n + len(name)) % len(EXTRA_COMMANDS)]
        try:
            counted = check_file(path, extra, f"{name} mutant {n}: {how}")
            if suffix == ".json":
                check_import(path, counted, f"{name} mutant {n}: {how}")
        except KnownCrash:
            pass


def check_import(config: Path, counted: Result, context: str) -> None:
    """``import-hf``: one clean line (exit 2), or a spec that loads back to the same count."""
    result = run("import-hf", config)
    where = f"import-hf; {context}\nexit {result.code}\nstderr: {result.err[:2000]!r}"
    assert result.code in (0, 2) and "internal error" not in result.err and "Traceback" not in result.err, where
    assert (result.code == 0) == (counted.code == 0), where
    if result.code == 2:
        lines = error_lines(result.err)
        assert len(lines) == 1 and str(config) in lines[0], where
        return
    spec = config.with_suffix(".imported.toml")
    spec.write_text(result.out)
    again = check(("count", "--format", "json", spec), spec, f"the spec import-hf wrote; {context}")
    assert again.code == 0, where
    assert totals(counted.out) == totals(again.out), where


def totals(out: str) -> list[int]:
    """The total_params of each model of ``count --format json``."""
    data = strict_json(out)
    return [m["total_params"] for m in (data if isinstance(data, list) else [data])]


def test_hf_configs_exist():
    assert len(hf_config_texts()) >= 3


# --------------------------------------------------------------------------- hypothesis: generated input


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key)


def toml_value(value: object) -> str:
    """A TOML value, inline (tables as inline tables)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value))


def toml_document(data: dict[str, object]) -> str:
    """Top-level values first, then one ``[table]`` per dict value (one key a line)."""
    head, tables = [], []
    for key, value in data.items():
        if isinstance(value, dict):
            body = "".join(f"{_toml_key(k)} = {toml_value(v)}\n" for k, v in value.items())
            tables.append(f"[{_toml_key(key)}]\n{body}")
        else:
            head.append(f"{_toml_key(key)} = {toml_value(value)}\n")
    return "".join(head) + "\n".join(tables)


FIELD_NAMES = sorted({"d_model", "n_layers", "n_heads", "vocab_size", "n_positions", "d_ff", "head_dim", "n_kv_heads",
                      "n_experts", "top_k", "bias", "lm_head", "tie_word_embeddings", "style", "kind", "count",
                      "in_features", "out_features", "dim", "num_embeddings", "embedding_dim", "blocks", "name"})  # fmt: skip
INTS = st.one_of(
    st.integers(1, 4096),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 10**30, 10**100, 10**400, 10**599, 10**600, 2**63, 2**64]),
)
SCALARS = st.one_of(
    INTS, st.floats(allow_nan=True), st.booleans(), st.text(max_size=20), st.sampled_from(["gpt2", "openai-gpt", "linear"])
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
#: Layer counts stay small here: huge ones meet the per-layer lists of KNOWN_CRASHES, which
#: would only slow this test down (the mutation fuzzer and the corpus cover them).
PARAMS = st.dictionaries(st.sampled_from(FIELD_NAMES) | st.text(max_size=10), INTS | VALUES, max_size=8).map(
    lambda d: {k: v for k, v in d.items() if k != "n_layers" or not isinstance(v, int) or abs(v) < 10**4}
)
SPEC_DOCS = st.fixed_dictionaries(
    {},
    optional={
        "name": st.text(max_size=12) | VALUES,
        "family": st.sampled_from(["gpt", "bert", "llama", "moe-gpt", "deepseek", "mistral", "nemotron", "arctic"])
        | st.text(max_size=12),
        "reported_params": INTS | VALUES,
        "training_tokens": INTS | VALUES,
        "source": st.text(max_size=12) | VALUES,
        "params": PARAMS,
        "models": st.lists(st.fixed_dictionaries({"name": st.text(max_size=5)}, optional={"params": PARAMS}), max_size=3),
        "blocks": st.lists(st.dictionaries(st.sampled_from(FIELD_NAMES), INTS | VALUES, max_size=6), max_size=3),
        "notes": VALUES,
    },
)


def _tolerating_known(call, *args, **kwargs):
    try:
        return call(*args, **kwargs)
    except KnownCrash:
        return None


@FUZZ
@given(doc=SPEC_DOCS)
def test_generated_specs(doc, tmp_path_factory):
    path = tmp_path_factory.mktemp("gen") / "spec.toml"
    path.write_text(toml_document(doc))
    _tolerating_known(check_file, path, context=path.read_text()[:1000])


@FUZZ
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_raw_bytes(data, tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw")
    for name in ("spec.toml", "config.json"):
        (folder / name).write_bytes(data)
        check_file(folder / name, context=repr(data))


OPTION_VALUES = st.one_of(
    st.sampled_from(["0", "-1", "1", "1e400", "1e600", "1e99999999", "inf", "nan", "1e-400", "1.5", "", "x", "1_0",
                     "10" * 200, "9" * 5000, "\x00", "\n"]),
    st.text(max_size=10),
    st.integers(-(10**40), 10**40).map(str),
)  # fmt: skip
OPTIONS = (
    ("count", "--depth"), ("flops", "--seq-len"), ("flops", "--tokens"), ("flops", "--convention"),
    ("memory", "--seq-len"), ("memory", "--batch"), ("memory", "--dtype"), ("memory", "--kv-dtype"),
    ("memory", "--optimizer"), ("chinchilla", "--tokens-per-param"), ("chinchilla", "--fit"),
    ("chinchilla", "--compute"), ("inspect", "--depth"),
)  # fmt: skip


@FUZZ
@given(option=st.sampled_from(OPTIONS), value=OPTION_VALUES)
def test_option_values(option, value):
    """A bad option value is one line and exit 2; never a traceback."""
    command, flag = option
    result = run(command, f"{flag}={value}", SPECS / "gpt2.toml")
    if result.crash is not None and crash_site(result.crash) in KNOWN_CRASHES:
        return  # flops --seq-len 1e400: see test_flops_huge_seq_len
    context = f"{command} {flag}={value!r}\nexit {result.code}\n{result.err}"
    assert "Traceback" not in result.err and "internal error" not in result.err, context
    assert result.code in (0, 2), context
    if result.code == 2:
        assert len(error_lines(result.err)) == 1, context


# --------------------------------------------------------------------------- huge integers


def gpt_params(V: int, P: int, d: int, L: int, d_ff: int | None = None, inner: int | None = None,
               bias: bool = True, untied_head: bool = False) -> int:  # fmt: skip
    """GPT-2's parameter count, written out: embeddings, L blocks, the final LayerNorm, an untied head."""
    f = 4 * d if d_ff is None else d_ff
    a = d if inner is None else inner  # n_heads * head_dim
    attention = 3 * d * a + a * d + (3 * a + d if bias else 0)
    mlp = 2 * d * f + (f + d if bias else 0)
    block = 2 * (2 * d) + attention + mlp  # two LayerNorms, a weight and a bias each
    return V * d + P * d + L * block + 2 * d + (V * d if untied_head else 0)


def gpt_spec(V: int, P: int, d: int, L: int, heads: int = 1, top: str = "", **extra: object) -> str:
    params = {"vocab_size": V, "n_positions": P, "d_model": d, "n_layers": L, "n_heads": heads, **extra}
    return f'name = "huge"\nfamily = "gpt"\n{top}\n' + toml_document({"params": params})


def count_json(path: Path) -> dict:
    result = check(("count", "--format", "json", path), path)
    assert result.code == 0, result.err
    data = json.loads(result.out)
    return data[0] if isinstance(data, list) else data


def test_formula_matches_gpt2_small(tmp_path):
    assert gpt_params(50257, 1024, 768, 12) == 124_439_808
    assert count_json(SPECS / "gpt2.toml")["total_params"] == 124_439_808
    path = tmp_path / "s.toml"
    path.write_text(gpt_spec(50257, 1024, 768, 12, heads=12))
    assert count_json(path)["total_params"] == 124_439_808


@pytest.mark.parametrize("exponent", [30, 100, 400])
def test_huge_gpt_counts_exactly(exponent, tmp_path):
    n = 10**exponent
    path = tmp_path / "huge.toml"
    path.write_text(gpt_spec(n, 1024, n, n))
    data = count_json(path)
    assert data["total_params"] == gpt_params(n, 1024, n, n)
    assert data["active_params"] == data["total_params"]


@FUZZ
@given(
    V=st.integers(1, 10**40), P=st.integers(1, 10**40), heads=st.integers(1, 64), width=st.integers(1, 10**38),
    L=st.integers(1, 10**40), d_ff=st.none() | st.integers(1, 10**40), head_dim=st.none() | st.integers(1, 10**38),
    bias=st.booleans(), untied=st.booleans(),
)  # fmt: skip
def test_gpt_counts_exactly(V, P, heads, width, L, d_ff, head_dim, bias, untied, tmp_path_factory):
    d = heads * width
    extra: dict[str, object] = {"bias": bias, "lm_head": untied, "tie_word_embeddings": not untied}
    if d_ff is not None:
        extra["d_ff"] = d_ff
    if head_dim is not None:
        extra["head_dim"] = head_dim
    path = tmp_path_factory.mktemp("gpt") / "spec.toml"
    path.write_text(gpt_spec(V, P, d, L, heads, **extra))
    inner = None if head_dim is None else heads * head_dim
    assert count_json(path)["total_params"] == gpt_params(V, P, d, L, d_ff, inner, bias, untied)


HUGE_COMMANDS = (
    ("count",), ("count", "--depth", "4"), ("count", "--format", "markdown"), ("count", "--format", "csv"),
    ("count", "--format", "json"), ("validate",), ("flops",), ("flops", "--format", "json"),
    ("flops", "--tokens", "1e30"), ("flops", "--format", "csv"), ("memory",), ("memory", "--format", "json"),
    ("memory", "--train"), ("memory", "--format", "csv"), ("chinchilla",), ("chinchilla", "--format", "json"),
    ("chinchilla", "--format", "csv"),
)  # fmt: skip
#: (command, exponent) pairs that still crash at 10**(2 * exponent) parameters, and where.
KNOWN_HUGE: dict[tuple[str, int], tuple[str, str]] = {}


def _huge_params():
    for exponent in (30, 100, 400):
        for command in HUGE_COMMANDS:
            site = KNOWN_HUGE.get((" ".join(command), exponent))
            marks = () if site is None else (pytest.mark.xfail(strict=True, raises=KnownCrash, reason=KNOWN_CRASHES[site]),)
            yield pytest.param(command, exponent, site, id=f"{' '.join(command)}-1e{exponent}", marks=marks)


@pytest.mark.parametrize("command,exponent,site", list(_huge_params()))
def test_huge_specs_every_command(command, exponent, site, tmp_path):
    """Every command runs on a model of about 10**(2*exponent) parameters trained on 10**exponent
    tokens (reported_params is left out: huge-400-reported.toml has it)."""
    n = 10**exponent
    path = tmp_path / "huge.toml"
    path.write_text(gpt_spec(n, 1024, n, n, top=f"training_tokens = {n}"))
    try:
        result = check((*command, path), path, " ".join(command))
    except KnownCrash as exc:
        assert exc.site == site, f"crashed in {exc.site}, not in {site}"
        raise
    assert result.code == 0, result.err


def test_huge_memory_is_exact(tmp_path):
    n = 10**30
    path = tmp_path / "huge.toml"
    path.write_text(gpt_spec(n, 1024, n, n))
    result = check(("memory", "--format", "json", "--dtype", "fp32", path), path)
    data = json.loads(result.out)[0]
    assert data["weights_bytes"] == 4 * gpt_params(n, 1024, n, n)


def test_flops_huge_seq_len():
    path = SPECS / "gpt2.toml"
    check(("flops", "--seq-len", "1" + "0" * 400, path), path)


def test_flops_json_of_a_model_without_parameters():
    path = CORPUS / "no-parameters.toml"
    strict_json(check(("flops", "--format", "json", path), path).out)


def test_json_outputs_are_strict_json(tmp_path):
    """Every JSON output of a huge and a small model parses strictly (no NaN, no Infinity)."""
    for path in (CORPUS / "huge-100.toml", SPECS / "gpt2.toml", SPECS / "mixtral-8x7b.toml"):
        for command in ("count", "flops", "memory", "chinchilla"):
            result = check((command, "--format", "json", path), path)
            assert result.code == 0
            strict_json(result.out)


def test_too_many_digits(tmp_path):
    """Past MAX_DIGITS digits a whole number is one clear line, in a spec, a config or an option."""
    from registry.io import MAX_DIGITS

    ok = tmp_path / "ok.toml"
    ok.write_text(gpt_spec(10 ** (MAX_DIGITS - 1), 1, 10 ** (MAX_DIGITS - 1), 1))
    assert check(("count", "--format", "json", ok), ok).code == 0
    for digits in (MAX_DIGITS + 1, 5000):
        for suffix, text in (
            (".toml", gpt_spec(1, 1, 8, 1).replace("vocab_size = 1", "vocab_size = " + "7" * digits)),
            (".json", json.dumps({"model_type": "gpt2", "architectures": ["GPT2Model"], "vocab_size": 0}).replace("0", "7" * digits)),
        ):  # fmt: skip
            path = tmp_path / f"d{digits}{suffix}"
            path.write_text(text)
            result = check_file(path)
            assert f"may have at most {MAX_DIGITS} digits" in result.err, result.err
    result = run("flops", "--tokens", "1" * (MAX_DIGITS + 1), SPECS / "gpt2.toml")
    assert result.code == 2 and f"at most {MAX_DIGITS} digits" in result.err


def test_a_billion_billion_layers_do_not_hang(tmp_path):
    """Layers are kept as runs: 10**30 layers of a composed repeat cost no more than 2."""
    path = tmp_path / "deep.toml"
    path.write_text(
        'name = "x"\n[[blocks]]\nkind = "repeat"\nname = "h"\ncount = ' + str(10**30)
        + '\n[[blocks.blocks]]\nkind = "linear"\nname = "l"\nin_features = 3\nout_features = 5\n'
    )  # fmt: skip
    assert count_json(path)["total_params"] == 10**30 * 20
    for command in (("count", "--depth", "3"), ("flops",), ("memory",), ("chinchilla",)):
        check((*command, path), path, " ".join(command))
    for family in ("gpt", "bert", "chinchilla", "moe-gpt"):
        text = (SPECS / {"gpt": "gpt2.toml", "bert": "bert-base-uncased.toml", "chinchilla": "chinchilla-70b.toml",
                         "moe-gpt": "gpt4-moe-rumored.toml"}[family]).read_text()  # fmt: skip
        layers = tmp_path / f"{family}.toml"
        layers.write_text(re.sub(r"(?m)^n_layers = .*$", f"n_layers = {10**30}", text))
        check_file(layers, ("count", "--depth", "2"), family)


# --------------------------------------------------------------------------- files that are not specs


def test_missing_files(tmp_path):
    for name in ("nope.toml", "nope.json", "nope", "dir/nope.toml", "x" * 5000 + ".toml", "y" * 5000 + ".json"):
        check_file(tmp_path / name)
        for command in (("flops",), ("memory",), ("chinchilla",)):
            check((*command, tmp_path / name), tmp_path / name)
    assert run("count", tmp_path / "nope.toml").err.strip() == f"{tmp_path / 'nope.toml'}: no such file"


def test_missing_checkpoints(tmp_path):
    for name in ("nope.safetensors", "x" * 5000 + ".safetensors", "z" * 5000):
        for args in (("inspect", tmp_path / name), ("verify", SPECS / "gpt2.toml", tmp_path / name)):
            result = run(*args)
            assert result.code == 2 and len(error_lines(result.err)) == 1, result.err
            assert "internal error" not in result.err and "Traceback" not in result.err


def test_directories(tmp_path):
    for name in ("d.toml", "d.json", "d"):
        (tmp_path / name).mkdir()
        assert check_file(tmp_path / name).code == 2


def test_empty_files(tmp_path):
    for name in ("e.toml", "e.json", "e"):
        (tmp_path / name).write_bytes(b"")
        assert check_file(tmp_path / name).code == 2


def test_devices_are_refused_before_reading():
    """/dev/zero is no regular file: refused before it is opened (issue 13; a FIFO would block)."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero")
    result = check(("count", "/dev/zero"), "/dev/zero")
    assert result.code == 2 and "is a character device, not a regular file" in result.err


def test_pipes_are_read_through_stdin(tmp_path):
    """A pipe named by path (/dev/fd/N) is refused like a FIFO; ``-`` reads one as stdin."""
    if not hasattr(os, "pipe"):
        pytest.skip("no pipes")
    read, write = os.pipe()
    os.write(write, (SPECS / "gpt2.toml").read_bytes())
    os.close(write)
    try:
        path = f"/dev/fd/{read}"
        if not Path(path).exists():
            pytest.skip("no /dev/fd")
        result = check(("count", path), path)
        assert result.code == 2 and "not a regular file" in result.err
    finally:
        os.close(read)
    proc = subprocess.run([sys.executable, "-m", "registry", "count", "--format", "json", "-"], cwd=ROOT,
                          input=(SPECS / "gpt2.toml").read_bytes(), capture_output=True)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["total_params"] == 124_439_808  # GPT2Model(gpt2) in transformers


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_unreadable_file_chmod(tmp_path):
    path = tmp_path / "locked.toml"
    path.write_bytes((SPECS / "gpt2.toml").read_bytes())
    path.chmod(0)
    try:
        for name in ("count", "validate", "flops", "memory", "chinchilla"):
            result = check((name, path), path)
            assert result.code == 2 and "cannot read file" in result.err
    finally:
        path.chmod(0o600)


def test_unreadable_file_simulated(tmp_path, monkeypatch):
    """The same as chmod 000, for root too: every open of the file raises PermissionError."""
    for name in ("locked.toml", "config.json", "model.safetensors"):
        (tmp_path / name).write_bytes(b"x")
    real_open = open

    def refuse(file, *args, **kwargs):
        if str(file).startswith(str(tmp_path)):
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    def refuse_path(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr("builtins.open", refuse)
    monkeypatch.setattr(Path, "open", refuse_path)
    monkeypatch.setattr(Path, "read_bytes", refuse_path)
    monkeypatch.setattr(Path, "read_text", refuse_path)
    for name in ("locked.toml", "config.json"):
        path = tmp_path / name
        for command in ("count", "validate", "flops", "memory", "chinchilla"):
            result = check((command, path), path, command)
            assert result.code == 2 and "Permission denied" in result.err, (command, result.err)
    result = run("inspect", tmp_path / "model.safetensors")
    assert result.code == 2 and "Permission denied" in result.err and "internal error" not in result.err


def test_multi_megabyte_files(tmp_path):
    """Just under the 8 MiB limit: parsed; over it: refused before parsing; never a long line."""
    from registry.io import MAX_SPEC_BYTES

    base = (SPECS / "gpt2.toml").read_text()
    comment = tmp_path / "comment.toml"
    comment.write_text(base + ("# " + "x" * 98 + "\n") * ((MAX_SPEC_BYTES - len(base)) // 101))
    assert check_file(comment).code == 0
    notes = tmp_path / "notes.toml"
    notes.write_text(base.replace('family = "gpt"', 'family = "gpt"\nnotes = "' + "n" * 7_000_000 + '"'))
    assert check_file(notes).code == 0
    keys = tmp_path / "keys.toml"
    keys.write_text(base + "".join(f"k{i} = {i}\n" for i in range(20_000)))  # 1,000 times MAX_ERRORS
    assert f":{base.count(chr(10)) + 1}: params.k0: unknown field" in check_file(keys).err
    value = tmp_path / "value.toml"
    value.write_text(base.replace("d_model = 768", 'd_model = "' + "7" * 5_000_000 + '"'))
    assert ": params.d_model: must be a whole number" in check_file(value).err
    family = tmp_path / "family.toml"
    family.write_text(base.replace('family = "gpt"', 'family = "' + "g" * 5_000_000 + '"'))
    assert ": family: unknown family" in check_file(family).err
    for name in ("big.toml", "big.json"):
        (tmp_path / name).write_bytes(b"#" * (MAX_SPEC_BYTES + 1))
        assert "a spec may be at most" in check_file(tmp_path / name).err


def test_deeply_nested_tables(tmp_path):
    """1000-deep table headers (once a million steps to locate) and 100,000-deep arrays."""
    base = (SPECS / "gpt2.toml").read_text()
    for name, text in (
        ("headers.toml", 'name = "x"\n' + "".join("[[" + ".".join(["blocks"] * (i + 1)) + ']]\nkind = "repeat"\n'
                                                  for i in range(1000))),
        ("arrays.toml", base + "deep = " + "[" * 100_000 + "]" * 100_000 + "\n"),
        ("inline.toml", base + "deep = " + "{a = " * 100_000 + "1" + "}" * 100_000 + "\n"),
        ("dotted.toml", base + "[" + ".".join(["p"] * 100_000) + "]\n"),
        ("nested.json", '{"model_type": "gpt2", "x": ' + "[" * 100_000 + "]" * 100_000 + "}"),
    ):  # fmt: skip
        path = tmp_path / name
        path.write_text(text)
        assert check_file(path).code == 2


# --------------------------------------------------------------------------- read commands never write


def _write_safetensors(path: Path, tensors: dict[str, tuple[str, list[int]]]) -> Path:
    header, offset = {}, 0
    sizes = {"F32": 4, "BF16": 2}
    for name, (dtype, shape) in tensors.items():
        n = sizes[dtype]
        for dim in shape:
            n *= dim
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header).encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * offset)
    return path


def test_read_commands_never_write(tmp_path):
    spec = tmp_path / "tiny.toml"
    spec.write_bytes((ROOT / "docs" / "examples" / "tiny-moe.toml").read_bytes())
    gpt = tmp_path / "gpt2.toml"
    gpt.write_bytes((SPECS / "gpt2.toml").read_bytes())
    config = tmp_path / "config.json"
    config.write_bytes(hf_config_texts()["gpt2.json"])
    checkpoint = _write_safetensors(tmp_path / "model.safetensors", {"wte.weight": ("F32", [10, 4]), "ln.bias": ("BF16", [4])})
    files = (spec, gpt, config, checkpoint)
    for path in files:
        os.utime(path, ns=(10**18, 10**18))  # a distinctive time, so that a rewrite would show
    before = {p: snapshot(p) for p in files}
    listing = sorted(tmp_path.iterdir())
    for command in (
        ("count", spec, gpt, config), ("count", "--depth", "3", "--format", "json", spec), ("validate", spec, gpt, config),
        ("flops", spec, config), ("memory", "--train", spec, config), ("chinchilla", spec), ("families",),
        ("families", "gpt"), ("schema",), ("schema", "gpt"), ("inspect", checkpoint), ("inspect", tmp_path),
        ("verify", gpt, checkpoint), ("verify", config, checkpoint),
    ):  # fmt: skip
        result = run(*command)
        assert result.code in (0, 1), (command, result.err)  # verify: 1 when they differ
        assert "Traceback" not in result.err and "internal error" not in result.err, (command, result.err)
    assert {p: snapshot(p) for p in files} == before
    assert sorted(tmp_path.iterdir()) == listing  # nothing created beside them either


def mutate_header(header: dict, rng: random.Random) -> bytes:
    """A safetensors file whose header has one hostile change (and a data section that fits the original)."""
    header = json.loads(json.dumps(header))
    name = rng.choice(list(header))
    entry = header[name]
    op = rng.randrange(8)
    if op == 0:
        entry["shape"] = rng.choice(([10**30, 10**30], [-1], [1.5], ["x"], None, [], [0], [2**64] * 8))
    elif op == 1:
        entry["data_offsets"] = rng.choice(([10, 0], [-1, 3], [0], [0, 10**30], None, [0, 2**64], ["0", "1"]))
    elif op == 2:
        entry["dtype"] = rng.choice(("", "F99", None, 1, "x" * 5000, "BF16\n"))
    elif op == 3:
        header[rng.choice(("a\nb", "", "x" * 5000, "\u0000", "__metadata__"))] = entry
    elif op == 4:
        header[name] = rng.choice((None, [], "x", 1, {}))
    elif op == 5:
        header["__metadata__"] = rng.choice(({"a": 1}, [], "x", {"format": "pt"}))
    elif op == 6:
        del entry[rng.choice(list(entry))]
    else:
        header = rng.choice(([], "x", None, 1))
    raw = json.dumps(header).encode()
    prefix = struct.pack("<Q", rng.choice((len(raw), len(raw), 0, 2**63, len(raw) + 1)))
    return prefix + raw + b"\0" * 200


def test_mutated_checkpoints(tmp_path):
    """inspect and verify on checkpoints with hostile headers: one clean line, exit 2 (or 0/1)."""
    header = {"wte.weight": {"dtype": "F32", "shape": [10, 4], "data_offsets": [0, 160]},
              "ln.bias": {"dtype": "BF16", "shape": [4], "data_offsets": [160, 168]}}  # fmt: skip
    for n in range(60 * SCALE):
        rng = random.Random(f"safetensors#{n}")
        path = tmp_path / f"m{n}.safetensors"
        path.write_bytes(mutate_header(header, rng))
        for args, ok in (((("inspect", path)), (0, 2)), (("verify", SPECS / "gpt2.toml", path), (1, 2))):
            result = run(*args)
            where = f"mutant {n}: {args[0]}\nexit {result.code}\n{result.err[:2000]}"
            assert result.code in ok, where
            assert "Traceback" not in result.err and "internal error" not in result.err, where
            if result.code == 2:
                lines = error_lines(result.err)
                assert len(lines) == 1 and str(path) in lines[0] and len(lines[0]) < 1200 + len(str(path)), where


# --------------------------------------------------------------------------- specs never run code


def test_specs_never_run_code(tmp_path):
    sentinel = tmp_path / "pwned"
    payloads = [
        f"__import__('os').system('touch {sentinel}')",
        f"$(touch {sentinel})",
        f"`touch {sentinel}`",
        "registry.plugins.gpt:build",
        "os:system",
        "!!python/object/apply:os.system",
    ]
    for i, payload in enumerate(payloads):
        quoted = json.dumps(payload)
        texts = [
            f"name = {quoted}\nfamily = {quoted}\n",
            f'name = "x"\nfamily = "gpt"\n[params]\nd_model = {quoted}\nn_layers = 1\nn_heads = 1\n',
            f'name = "x"\nfamily = "gpt"\n[params]\nd_model = 8\nn_layers = 1\nn_heads = 1\nstyle = {quoted}\n',
            f'name = "x"\n[[blocks]]\nkind = {quoted}\n',
            f'name = "x"\n[[blocks]]\nkind = "linear"\nname = {quoted}\nin_features = 1\nout_features = 1\n',
            json.dumps({"model_type": payload, "architectures": [payload]}),
            json.dumps({"model_type": "gpt2", "architectures": ["GPT2Model"], "auto_map": {"AutoModel": payload}}),
        ]
        for j, text in enumerate(texts):
            path = tmp_path / f"p{i}-{j}.{'json' if text.startswith('{') else 'toml'}"
            path.write_text(text)
            check_file(path, ("count",), payload)
    assert not sentinel.exists()


# --------------------------------------------------------------------------- the real command


#: Corpus files for the installed entry point: three refused, one counted.
SUBPROCESS_FILES = ("binary-garbage.toml", "deep-arrays.toml", "key-with-newline.toml", "huge-100.toml")


def test_subprocess_exit_status():
    """The installed entry point: the real exit status, and stderr without a traceback. One process
    per command reads every file (a process start costs more than the files); a file refused in
    process gets its one line there too, and a file counted alone exits 0."""
    paths = [CORPUS / name for name in SUBPROCESS_FILES]
    refused = {path for path in paths if run("count", path).code == 2}
    assert refused and len(refused) < len(paths)
    for command in (["count", "--format", "json"], ["validate"]):
        proc = subprocess.run([sys.executable, "-m", "registry", *command, *map(str, paths)], capture_output=True,
                              text=True, cwd=ROOT, timeout=120, check=False)  # fmt: skip
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr, proc.stderr
        lines = error_lines(without_prefix(proc.stderr, command[0]))
        for path in paths:
            mine = [line for line in lines if line.startswith(f"{path}:")]
            assert len(mine) == (path in refused), proc.stderr
        assert len(lines) == len(refused), proc.stderr
    (counted,) = set(paths) - refused
    proc = subprocess.run([sys.executable, "-m", "registry", "validate", str(counted)], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr


# --------------------------------------------------------------------------- issue 13: nothing silently wrong
#
# Generators for each class of hostile input of issue 13. The property is always the same:
# exit 0 with the right count, or exit 2 with one line (naming the file), no traceback, and no
# file written. Example counts are bounded (CI runs on 2 cores).

ISSUE13 = settings(FUZZ, max_examples=25 * SCALE)


def family_field_kinds(params: type) -> tuple[list[str], list[str]]:
    """The whole-number and the boolean hyper-parameters of a family's params model."""
    import typing

    def kinds(annotation: object) -> set[type]:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            return kinds(typing.get_args(annotation)[0])
        if origin is typing.Union or type(annotation).__name__ == "UnionType":
            return set().union(*(kinds(a) for a in typing.get_args(annotation)))
        return {annotation} if isinstance(annotation, type) else set()

    ints, bools = [], []
    for name, info in params.model_fields.items():
        found = kinds(info.annotation) - {type(None)}
        if found == {bool}:
            bools.append(name)
        elif found == {int}:
            ints.append(name)
    return ints, bools


@functools.cache
def _family_bases() -> dict[str, dict]:
    """A valid spec (parsed) for every registered family: a shipped spec, else an imported config
    (worked out once for every family's test: callers copy what they change)."""
    import tomllib

    from registry.plugin_manager import load_families

    bases: dict[str, dict] = {}
    for path in SPEC_FILES:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if isinstance(data.get("family"), str):
            bases.setdefault(data["family"], data)
    missing = set(load_families().items) - set(bases)
    for config in sorted((ROOT / "tests" / "configs").glob("*/config.json")):
        if not missing:
            break
        imported = run("import-hf", config)
        if imported.code == 0:
            data = tomllib.loads(imported.out)
            # a composite's parts are specs of their own families (Qwen's vision tower has no spec of its own)
            parts = [{"name": f"{data['name']}-{p['part']}", "family": p["family"], "params": p["params"]}
                     for p in (data.get("params") or {}).get("parts") or ()]  # fmt: skip
            for found in (data, *parts):
                if found["family"] in missing:
                    bases[found["family"]] = found
                    missing.discard(found["family"])
    return bases


def _family_names() -> list[str]:
    from registry.plugin_manager import load_families

    return sorted(load_families().items)


#: Values of the wrong type for a whole number and for a boolean (issue 13, item 1).
NOT_INTS = (True, False, "8", " 8 ", "7_68", "0x10", 8.0, 1e3, [8], {"a": 1}, "")
NOT_BOOLS = (1, 0, "no", "yes", "true", "", 1.0, [True], {"b": True})


#: Families whose hyper-parameters are checked for type confusion elsewhere.
CHECKED_AS_PARTS = {
    "composite": "its one field, parts, holds other families' params: tests/test_composite.py",
    "projector": "built only as a part of a composite model: tests/test_composite.py",
    "mobilenetv5": "its one field, architecture, is a name, not a number: tests/test_composite_gemma3n.py refuses "
                   "an unknown one and one of another type",
}


@pytest.mark.parametrize("family", [f for f in _family_names() if f not in CHECKED_AS_PARTS])
def test_type_confusion_in_every_family(family, tmp_path):
    """Each family's whole-number and boolean hyper-parameters refuse every value of another type,
    with one line naming the field, what was expected and what was given."""
    base = _family_bases().get(family)
    assert base is not None, f"no spec nor published config of family {family}"
    from registry.plugin_manager import load_families

    ints, bools = family_field_kinds(load_families().family(family).params)
    assert ints or bools
    rng = random.Random(f"types#{family}")
    fields = [(f, NOT_INTS) for f in ints] + [(f, NOT_BOOLS) for f in bools]
    for n, (field, bad) in enumerate(rng.sample(fields, min(len(fields), 6 * SCALE))):
        value = rng.choice(bad)
        data = json.loads(json.dumps(base))
        data.setdefault("params", {})[field] = value
        for row in data.get("models") or ():
            (row.get("params") or {}).pop(field, None)
        path = tmp_path / f"t{n}.toml"
        path.write_text(toml_document(data), encoding="utf-8")
        result = check(("count", "--format", "json", path), path, f"{family}.{field} = {value!r}")
        assert result.code == 2, f"{family}: params.{field} = {value!r} was accepted"
        line = error_lines(result.err)[0]
        assert f"params.{field}" in line and ("must be" in line or "unknown" in line), line


# --- tie and name graphs: a brute-force oracle expands every tensor


@st.composite
def tie_graphs(draw):
    """A [[blocks]] spec of bias-free linears (some in a repeat), names from a small pool, random ties."""
    names = ["a", "b", "h.0", "h.1", "c"]
    blocks, tensors = [], []  # tensors: (path, shape, tied_to)
    for _ in range(draw(st.integers(1, 5))):
        name = draw(st.sampled_from(names))
        n_in, n_out = draw(st.sampled_from([2, 3])), draw(st.sampled_from([2, 3]))
        tie = draw(st.none() | st.sampled_from([f"{n}.weight" for n in names] + ["h.2.a.weight", "h.0.a.weight", "nope"]))
        block = {"kind": "linear", "name": name, "in_features": n_in, "out_features": n_out, "bias": False}
        if tie is not None:
            block["tied_to"] = tie
        if draw(st.booleans()):
            start, count, stride = draw(st.integers(0, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 2))
            inner = {**block, "name": "a"}
            blocks.append({"kind": "repeat", "name": "h", "start": start, "count": count, "stride": stride, "blocks": [inner]})
            tensors += [(f"h.{start + i * stride}.a.weight", (n_out, n_in), tie) for i in range(count)]
        else:
            blocks.append(block)
            tensors.append((f"{name}.weight", (n_out, n_in), tie))
    return blocks, tensors


def tie_oracle(tensors: list[tuple[str, tuple[int, int], str | None]]) -> int | str:
    """The exact total (ties counted once), or the word the one-line refusal must hold."""
    paths = [p for p, _, _ in tensors]
    if len(set(paths)) != len(paths):
        return "unique"
    by_path = {p: (shape, tie) for p, shape, tie in tensors}
    for path, shape, tie in tensors:
        seen = {path}
        while tie is not None:
            if tie not in by_path or tie in seen or by_path[tie][0] != shape:
                return "tied"
            seen.add(tie)
            tie = by_path[tie][1]
    return sum(s[0] * s[1] for _, s, tie in tensors if tie is None)


@ISSUE13
@given(graph=tie_graphs())
def test_tie_and_name_graphs(graph, tmp_path_factory):
    blocks, tensors = graph
    folder = tmp_path_factory.mktemp("ties")
    path = folder / "spec.toml"
    path.write_text(f"name = \"g\"\nblocks = {toml_value(blocks)}\n")
    expected = tie_oracle(tensors)
    result = check(("count", "--format", "json", path), path, path.read_text())
    if isinstance(expected, int):
        assert result.code == 0, (expected, result.err)
        assert strict_json(result.out)[0]["total_params"] == expected
    else:
        assert result.code == 2, f"accepted: {path.read_text()}"
        assert expected in result.err or "cycle" in result.err, result.err
    assert sorted(p.name for p in folder.iterdir()) == ["spec.toml"]


# --- encodings and control characters in every string field

HOSTILE_TEXT = st.lists(
    st.sampled_from(["\x1b[31m", "\u202e", "\u2066", "\x00", "\x07", "\x7f", "\r", "\n", "\t", "=", "+", "-", "@", "|",
                     "\u200b", "\ufeff", "é", "\U0001f600", "\x85", "\u2028", "x", ",", '"', "'", "\\"]),
    min_size=1, max_size=6,
).map("".join)  # fmt: skip
ESCAPED_OUT = ("\x1b", "\u202e", "\u2066", "\x00", "\x07", "\x7f", "\u200b", "\ufeff", "\x85", "\u2028")


def _visible_output(out: str, context: str) -> None:
    for c in ESCAPED_OUT:
        assert c not in out, f"{c!r} reached the output raw; {context}"


@ISSUE13
@given(field=st.sampled_from(["name", "source", "notes", "description", "models.name"]), text=HOSTILE_TEXT,
       fmt=st.sampled_from(["table", "markdown", "csv"]))  # fmt: skip
def test_control_characters_in_spec_strings(field, text, fmt, tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    data: dict = {"family": "gpt", "params": {"d_model": 8, "n_layers": 1, "n_heads": 2}}
    if field == "models.name":
        data["models"] = [{"name": text}]
    else:
        data["name"] = "m"
        data[field] = text
    path = folder / "spec.toml"
    path.write_text(toml_document(data), encoding="utf-8")
    context = repr(text)
    shown = check(("count", "--format", fmt, path), path, context)
    if shown.code == 0:
        _visible_output(shown.out, context)
        if fmt == "csv":
            for row in shown.out.splitlines()[1:]:
                assert not row.startswith(("=", "+", "-", "@")), row
        counted = check(("count", "--format", "json", path), path, context)
        data_out = strict_json(counted.out)[0]
        clean = folder / "clean.toml"
        clean.write_text(toml_document({"name": "m", "family": "gpt", "params": data["params"]}))
        assert data_out["total_params"] == count_json(clean)["total_params"]  # text changes no count
        clean.unlink()
        if field in ("name", "models.name"):
            assert data_out["name"] == text  # JSON exact
        _visible_output(check(("validate", path), path, context).out, context)
    assert sorted(p.name for p in folder.iterdir()) == ["spec.toml"]


@ISSUE13
@given(field=st.sampled_from(["_name_or_path", "model_type", "architectures", "torch_dtype"]),
       text=HOSTILE_TEXT | st.sampled_from(["\ud800", "a\udfffb"]))  # fmt: skip
def test_control_characters_in_config_strings(field, text, tmp_path_factory):
    folder = tmp_path_factory.mktemp("cfg")
    config = json.loads(hf_config_texts()["gpt2.json"])
    config[field] = [text] if field == "architectures" else text
    path = folder / "config.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    context = repr(text)
    shown = check(("count", path), path, context)
    if shown.code == 0:
        _visible_output(shown.out, context)
    output = folder / "out.toml"
    imported = run("import-hf", path, "-o", output)
    where = f"import-hf {context}\nexit {imported.code}\n{imported.err}"
    assert imported.code in (0, 2) and "Traceback" not in imported.err and "internal error" not in imported.err, where
    if imported.code == 2:
        lines = error_lines(imported.err)
        assert len(lines) == 1 and str(path) in lines[0], where
    if imported.code == 0:
        assert check(("validate", output), output, context).code == 0
        assert sorted(p.name for p in folder.iterdir()) == ["config.json", "out.toml"]
    else:
        assert sorted(p.name for p in folder.iterdir()) == ["config.json"], "a failed import left a file"


# --- numbers at and beyond each limit


@ISSUE13
@given(exponent=st.integers(596, 603), field=st.sampled_from(["d_model", "n_layers", "vocab_size", "n_positions"]))
def test_numbers_at_the_digit_limit(exponent, field, tmp_path_factory):
    """A whole number of up to 600 digits counts exactly; one more digit is one line."""
    from registry.io import MAX_DIGITS

    path = tmp_path_factory.mktemp("digits") / "spec.toml"
    sizes = {"d_model": 8, "n_layers": 1, "vocab_size": 11, "n_positions": 5, field: 10**exponent}
    d = sizes["d_model"]
    path.write_text(gpt_spec(sizes["vocab_size"], sizes["n_positions"], d, sizes["n_layers"], heads=2 if d == 8 else 1))
    result = check(("count", "--format", "json", path), path, f"{field} = 10**{exponent}")
    if exponent < MAX_DIGITS:
        assert result.code == 0, result.err
        assert strict_json(result.out)[0]["total_params"] == gpt_params(
            sizes["vocab_size"], sizes["n_positions"], d, sizes["n_layers"])
    else:
        assert result.code == 2 and f"at most {MAX_DIGITS} digits" in result.err


@pytest.mark.parametrize("levels", [1, 3, 4, 5])
def test_counts_at_the_count_limit(levels, tmp_path):
    """Nested repeats multiply: up to MAX_COUNT_DIGITS digits every command prints exactly; past it, one line."""
    from registry.blocks.tree_check import MAX_COUNT_DIGITS

    block = '{ kind = "linear", name = "l", in_features = 2, out_features = 3 }'
    for i in range(levels):
        block = f'{{ kind = "repeat", name = "r{i}", count = {10**599}, blocks = [{block}] }}'
    path = tmp_path / "nested.toml"
    path.write_text(f'name = "n"\nblocks = [{block}]\n')
    total = 9 * 10 ** (599 * levels)  # 2×3 weight + 3 bias
    for args in (("count", "--format", "json"), ("count",), ("flops", "--format", "json"), ("memory",), ("chinchilla",)):
        result = check((*args, path), path, f"{levels} levels")
        if len(str(total)) <= MAX_COUNT_DIGITS:
            assert result.code == 0
            if args == ("count", "--format", "json"):
                assert strict_json(result.out)[0]["total_params"] == total
        else:
            assert result.code == 2 and f"at most {MAX_COUNT_DIGITS:,}" in result.err


@pytest.mark.parametrize("parts", [99, 100, 101])
def test_key_parts_at_the_limit(parts, tmp_path):
    from registry.sources.spec import MAX_KEY_PARTS

    path = tmp_path / "keys.toml"
    path.write_text('name = "x"\nfamily = "gpt"\n' + ".".join(["notes"] * parts) + ' = "x"\n')
    result = check(("count", path), path)
    assert result.code == 2  # notes is text, not a table: refused either way, but in one line
    assert (f"at most {MAX_KEY_PARTS} dotted parts" in result.err) == (parts > MAX_KEY_PARTS)


# --- safetensors and index headers

ST_DTYPES = {"F32": 32, "BF16": 16, "F16": 16, "I8": 8, "U8": 8, "F64": 64, "F4": 4}


@st.composite
def safetensors_headers(draw):
    """Raw header text (so that a name may occur twice) and the data size: names from a small pool,
    dtypes known, lower-case or unknown, offsets that fit, overlap, or run past the data."""
    entries, offset = [], 0
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(["a", "b", "c", "a.weight", "x" * 300]))
        dtype = draw(st.sampled_from([*ST_DTYPES, "f32", "bf16", "Q9", "F8", "", "F32 "]))
        shape = draw(st.lists(st.sampled_from([0, 1, 2, 3, 10**6]), max_size=3))
        bits = ST_DTYPES.get(dtype, 8)
        exact = -(-math.prod(shape) * bits // 8)
        size = draw(st.sampled_from([exact, exact, exact, 0, exact + 1, max(exact - 1, 0), 300]))
        entries.append((name, dtype, shape, offset, offset + size))
        offset += size if draw(st.booleans()) or size == 0 else size - 1  # sometimes overlapping
    data = draw(st.sampled_from([offset, offset, offset + 5, max(offset - 1, 0)]))
    text = "{" + ", ".join(f'{json.dumps(n)}: {{"dtype": {json.dumps(d)}, "shape": {json.dumps(s)}, '
                           f'"data_offsets": [{b}, {e}]}}' for n, d, s, b, e in entries) + "}"  # fmt: skip
    return text, entries, data


def safetensors_oracle(entries: list, data: int) -> int | None:
    """The parameter count of a valid header, or None when it must be refused."""
    names = [n for n, *_ in entries]
    if len(set(names)) != len(names) or data < max(e for *_, e in entries):
        return None
    end = 0
    for name, dtype, shape, begin, stop in sorted(entries, key=lambda e: (e[3], e[4])):
        if dtype not in ST_DTYPES or begin < end or stop - begin != -(-math.prod(shape) * ST_DTYPES[dtype] // 8):
            return None
        end = stop
    return sum(math.prod(s) for _, _, s, _, _ in entries)


@ISSUE13
@given(header=safetensors_headers())
def test_safetensors_headers(header, tmp_path_factory):
    text, entries, data = header
    folder = tmp_path_factory.mktemp("st")
    path = folder / "m.safetensors"
    raw = text.encode()
    path.write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * data)
    expected = safetensors_oracle(entries, data)
    result = run("inspect", "--format", "json", path)
    where = f"{text} + {data} data bytes\nexit {result.code}\n{result.err}"
    assert "Traceback" not in result.err and "internal error" not in result.err, where
    if expected is None:
        assert result.code == 2 and len(error_lines(result.err)) == 1 and str(path) in result.err, where
    else:
        assert result.code == 0, where
        assert strict_json(result.out)["total_params"] == expected, where
    assert sorted(p.name for p in folder.iterdir()) == ["m.safetensors"]


@ISSUE13
@given(shard=st.sampled_from(["m.safetensors", "../m.safetensors", "/etc/passwd", "", "sub/../../m.safetensors",
                              "link.safetensors", "missing.safetensors", "sub/m.safetensors", "./m.safetensors"]))  # fmt: skip
def test_index_shard_names(shard, tmp_path_factory):
    root = tmp_path_factory.mktemp("idx")
    folder = root / "model"
    (folder / "sub").mkdir(parents=True)
    header = b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}'
    blob = struct.pack("<Q", len(header)) + header + b"\0" * 8
    for place in (root / "m.safetensors", folder / "m.safetensors", folder / "sub" / "m.safetensors"):
        place.write_bytes(blob)
    (folder / "link.safetensors").symlink_to(root / "m.safetensors")
    index = folder / "model.safetensors.index.json"
    index.write_text(json.dumps({"weight_map": {"a": shard}}))
    result = run("inspect", "--format", "json", index)
    where = f"shard {shard!r}\nexit {result.code}\n{result.err}"
    assert "Traceback" not in result.err and "internal error" not in result.err, where
    if shard in ("m.safetensors", "sub/m.safetensors", "./m.safetensors"):
        assert result.code == 0 and strict_json(result.out)["total_params"] == 2, where
    else:
        assert result.code == 2 and len(error_lines(result.err)) == 1 and str(index) in result.err, where
