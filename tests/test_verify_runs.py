"""``registry verify`` compares runs of layers, as the counts do (issue 13, point 9).

The spec side is never expanded: a spec of 10^4, 10^6 or 10^18 layers against a sparse
checkpoint gives its answer in memory that does not grow with the layers (tracemalloc
peaks, not times, are asserted), the missing tensors as one entry per run with its count.

The reference for what the comparison finds is the comparison that expands every layer
(:func:`expanded_compare` below: the algorithm `verify` used before, kept verbatim over
``iter_tensors``), on random small block trees (repeats with starts and strides, nested
repeats, numbers written in names, ties into and out of repeats) and random checkpoints
made from them (tensors dropped, reshaped, transposed, renamed with a prefix, old names,
buffers, extra tensors): both must sort every tensor into the same outcome with the same note.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import tracemalloc
from collections import Counter
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from registry.blocks import Embedding, LayerNorm, Linear, Module, Parameter, Repeat
from registry.checkpoints import TensorInfo
from registry.cli import main
from registry.sources.loading import load
from registry.model import Model
from registry.analyses.report import iter_tensors
from registry import CheckpointNames
from registry.checkpoints.names import MAX_PREFIXES, NOT_BUILT, Rename, checkpoint_names, declared, is_buffer, modern
from registry.checkpoints.verify import Comparison, Entry, _same_shape, checkpoint_only, compare
from registry.plugins.checkpoint_names import BERT_NAMES, GPT2_NAMES

#: The random checkpoints' buffers and old names: GPT-2's and BERT's together (a random tree has no family).
NAMES = CheckpointNames(buffers=GPT2_NAMES.buffers + BERT_NAMES.buffers, old_names=BERT_NAMES.old_names)
OLD_NAMES = NAMES.old_names
from tests.safetensors_files import write_header

SPECS = Path(__file__).resolve().parent.parent / "specs"
LAYER = ("ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight", "attn.c_proj.bias",
         "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias", "mlp.c_proj.weight", "mlp.c_proj.bias")  # fmt: skip


# --------------------------------------------------------------------------- the reference: every layer expanded


def expanded_compare(model: Model, tensors, known=None, names=None) -> Comparison:
    """The comparison with every tensor of the spec expanded (the algorithm before runs)."""
    known = checkpoint_only(model) if known is None else tuple(known)
    names = checkpoint_names(model) if names is None else names
    spec = {t.path: t for t in iter_tensors(model.architecture)}
    stored, ignored = [], []
    for info in tensors:
        if info.name not in spec and is_buffer(info, names):
            ignored.append(Entry(info.name, info.name, None, info.shape, "buffer"))
        else:
            stored.append(info)
    rename = _choose_rename(spec, [modern(t.name, names) for t in stored])
    found = _map_names(spec, stored, rename, names)
    result = Comparison(ignored=ignored, rename=rename)
    claimed = set()
    for name, tensor in spec.items():
        info = found.get(name)
        if info is None:
            continue
        claimed.add(info.name)
        entry = Entry(name, info.name, tensor.shape, info.shape)
        if _same_shape(info, tensor.shape):
            result.matched.append(entry)
        else:
            transposed = len(info.shape) == 2 and info.shape == tensor.shape[::-1]
            result.mismatched.append(Entry(name, info.name, tensor.shape, info.shape, "transposed" if transposed else ""))
    groups = {}
    for name in spec:
        if name in found:
            groups.setdefault(_tie_root(spec, name), name)
    for name, tensor in spec.items():
        if name in found:
            continue
        partner = groups.get(_tie_root(spec, name))
        if partner is not None and spec[partner].shape == tensor.shape:
            result.tied.append(Entry(name, None, tensor.shape, None, f"tied to {partner}, stored once"))
            continue
        result.missing.append(Entry(name, None, tensor.shape, None, f"tied to {tensor.tied_to}" if tensor.tied_to else ""))
    for info in stored:
        if info.name in claimed:
            continue
        declaration = declared(known, info.name, rename)
        if declaration is None:
            result.extra.append(Entry(info.name, info.name, None, info.shape))
        else:
            result.ignored.append(Entry(info.name, info.name, None, info.shape,
                                        f"{NOT_BUILT} ({declaration.pattern}): {declaration.reason}"))  # fmt: skip
    return result


def _heads(names):
    counts = Counter(n.split(".", 1)[0] for n in names if "." in n)
    return [head for head, _ in counts.most_common(MAX_PREFIXES)]


def _choose_rename(spec, names):
    candidates = [Rename(h, add=False) for h in _heads(names)] + [Rename(h, add=True) for h in _heads(spec)]
    best, best_score = None, sum(n in spec for n in names)
    for rule in candidates:
        score = sum(n in spec or rule.apply(n) in spec for n in names)
        if score > best_score:
            best, best_score = rule, score
    return best


def _map_names(spec, stored, rename, names):
    found, later = {}, []
    for info in stored:
        name = modern(info.name, names)
        if name in spec and name not in found:
            found[name] = info
        elif rename is not None:
            later.append((rename.apply(name), info))
    for name, info in later:
        if name in spec and name not in found:
            found[name] = info
    return found


def _tie_root(spec, name):
    seen = {name}
    while (target := spec[name].tied_to) in spec and target not in seen:
        seen.add(target)
        name = target
    return name


_BRACES = re.compile(r"\{[^{}]*\}")


def expand(entry: Entry) -> list[Entry]:
    """A run's tensors one by one (an entry of one tensor as it is)."""
    if entry.count == 1:
        return [entry]
    ranges = [range(first, last + step, step) for first, last, step in entry.indices]
    assert math.prod(len(r) for r in ranges) == entry.count
    pieces = _BRACES.split(entry.name)
    assert len(pieces) == len(ranges) + 1
    out = []
    for numbers in itertools.product(*ranges):
        name = pieces[0] + "".join(str(n) + p for n, p in zip(numbers, pieces[1:]))
        out.append(Entry(name, entry.checkpoint, entry.expected, entry.found, entry.note))
    return out


def same_outcomes(runs: Comparison, reference: Comparison) -> None:
    """Every tensor in the same outcome with the same entry; lists bounded by the checkpoint in the same order."""
    assert runs.rename == reference.rename
    for key in ("matched", "extra", "mismatched"):
        assert getattr(runs, key) == getattr(reference, key), key
    assert [e for e in runs.ignored if e.note == "buffer"] == [e for e in reference.ignored if e.note == "buffer"]
    for key in ("tied", "missing"):
        mine = [one for e in getattr(runs, key) for one in expand(e)]
        assert sorted(mine, key=repr) == sorted(getattr(reference, key), key=repr), key
        assert all(e.count >= 3 for e in getattr(runs, key) if e.count != 1)
    assert runs.counts == {k: len(v) for k, v in ((k, getattr(reference, k)) for k in runs.counts)}
    assert runs.identical == reference.identical and runs.summary() == reference.summary()


# --------------------------------------------------------------------------- random trees and checkpoints


@st.composite
def trees(draw) -> Module:
    """A small block tree with the shapes of real ones: interleaved repeats, nested repeats, numbered names, ties."""
    d, vocab = 4, 6
    counts = st.integers(1, 4)
    body = [LayerNorm(name="LayerNorm", dim=d), Linear(name="attn.c_attn", in_features=d, out_features=3 * d)]
    if draw(st.booleans()):
        body.append(Repeat(name="experts", count=draw(counts), start=draw(st.integers(0, 2)),
                           blocks=[Linear(name="w1", in_features=d, out_features=2, bias=False)]))  # fmt: skip
    if draw(st.booleans()):  # a weight of every layer tied to the token table (a hostile but valid tree)
        body.append(Linear(name="head", in_features=d, out_features=vocab, bias=False, tied_to="wte.weight"))
    if draw(st.booleans()):  # numbers written in a name (nn.Sequential)
        body.append(Module(name="net.0", blocks=[Parameter(name="scale.3", shape=(d,))]))
    stride = draw(st.integers(1, 3))
    layers = [Repeat(name="h", count=draw(counts), start=0, stride=stride, blocks=body)]
    if stride > 1 and draw(st.booleans()):  # other layers in between (dense and MoE layers)
        layers.append(Repeat(name="h", count=draw(counts), start=1, stride=stride, blocks=[LayerNorm(name="ln_x", dim=d)]))
    blocks = [Embedding(name="wte", num_embeddings=vocab, embedding_dim=d), *layers, LayerNorm(name="ln_f", dim=d)]
    if draw(st.booleans()):
        blocks.append(Linear(name="lm_head", in_features=d, out_features=vocab, bias=False, tied_to="wte.weight"))
    if draw(st.booleans()):  # a repeat without a name at the top: names start with a number
        blocks.append(Repeat(name="", count=draw(counts), start=5, blocks=[LayerNorm(name="top", dim=d, bias=False)]))
    if draw(st.booleans()):
        blocks = [Module(name="model", blocks=blocks)]
    return Module(blocks=blocks)


@st.composite
def cases(draw):
    """A tree and a checkpoint made from it."""
    root = draw(trees())
    tensors = list(iter_tensors(root))
    prefix = draw(st.sampled_from(["", "", "transformer.", "model."]))
    infos = []
    for t in tensors:
        what = draw(st.sampled_from(["keep"] * 6 + ["drop", "drop", "reshape", "transpose", "old"]))
        if what == "drop":
            continue
        shape = t.shape
        if what == "reshape":
            shape = (*shape[:-1], shape[-1] + 1)
        elif what == "transpose" and len(shape) == 2:
            shape = shape[::-1]
        name = t.path
        if what == "old":  # early BERT checkpoints: LayerNorm.gamma and .beta
            for old, new in OLD_NAMES:
                if name.endswith(new):
                    name = name[: -len(new)] + old
        infos.append(TensorInfo(prefix + name, "F32", shape, 4 * math.prod(shape)))
    extras = draw(st.lists(st.sampled_from(["h.99.ln_1.weight", "h.1.attn.bias", "junk.0.w", "h.0.experts.9.w1.weight",
                                            "0.top.weight", "h.2.position_ids", "wte.weight", "x"]), max_size=3))  # fmt: skip
    for name in extras:
        shape = (1, 1, 2, 2) if name.endswith("attn.bias") else (2,)
        infos.append(TensorInfo(prefix + name, "I64" if "position" in name else "F32", shape, 8))
    unique = {}
    for info in draw(st.permutations(infos)) if draw(st.booleans()) else infos:
        unique.setdefault(info.name, info)
    return Model("random", root), list(unique.values())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_runs_sort_every_tensor_as_expanding_every_layer_does(case):
    model, tensors = case
    same_outcomes(compare(model, tensors, names=NAMES), expanded_compare(model, tensors, names=NAMES))


def test_published_checkpoint_shapes_compare_as_expanded():
    """Real specs (GPT-2, BERT, a MoE of many experts) against checkpoints made from them, with gaps."""
    for spec in ("gpt2.toml", "bert-base-uncased.toml", "mixtral-8x7b.toml"):
        path = SPECS / spec
        if not path.exists():
            continue
        model = load(path)[0]
        tensors = [TensorInfo(("model." if i % 7 == 0 else "") + t.path, "F32", t.shape, 4)
                   for i, t in enumerate(iter_tensors(model.architecture)) if i % 5]  # fmt: skip
        same_outcomes(compare(model, tensors), expanded_compare(model, tensors))


# --------------------------------------------------------------------------- deep specs, sparse checkpoints


def deep_gpt2(tmp_path: Path, layers: int) -> Path:
    spec = tmp_path / f"gpt2-{layers}.toml"
    spec.write_text((SPECS / "gpt2.toml").read_text().replace("n_layers = 12", f"n_layers = {layers}"))
    return spec


def sparse_checkpoint(tmp_path: Path, layers: tuple[int, ...]) -> Path:
    """GPT-2's ln_f and every tensor of ``layers``, stored under ``transformer.`` (header only)."""
    tensors = {"transformer.ln_f.weight": ("F32", (768,)), "transformer.ln_f.bias": ("F32", (768,))}
    shapes = dict(zip(LAYER, [(768,), (768,), (768, 2304), (2304,), (768, 768), (768,), (768,), (768,), (768, 3072),
                              (3072,), (3072, 768), (768,)]))  # fmt: skip
    for i in layers:
        tensors |= {f"transformer.h.{i}.{t}": ("F32", shape) for t, shape in shapes.items()}
    return write_header(tmp_path / "sparse.safetensors", tensors)


def peak_bytes(function):
    tracemalloc.start()
    try:
        value = function()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_deep_specs_against_sparse_checkpoints_use_memory_of_the_checkpoint(tmp_path):
    """10^4 and 10^6 layers: the same memory (a few hundred kB), the same rows, exact counts."""
    from registry.checkpoints import open_checkpoint
    from registry.commands.verify import compare_checkpoint

    checkpoint = open_checkpoint(sparse_checkpoint(tmp_path, (0, 7)))
    peaks = {}
    for layers in (10**4, 10**6):
        model = load(deep_gpt2(tmp_path, layers))[0]
        model.architecture.tally  # noqa: B018  (built and counted before measuring)
        result, peaks[layers] = peak_bytes(lambda: compare_checkpoint(model, checkpoint))
        assert result.counts == {"matched": 26, "tied": 0, "missing": 12 * (layers - 2) + 2, "extra": 0,
                                 "mismatched": 0, "ignored": 0}  # fmt: skip
        assert result.rename == Rename("transformer", add=False)
        # every tensor of a layer: one run before layer 7 (1..6), one after (8..), and wte, wpe, h.0's none
        names = [e.name for e in result.missing]
        assert names[:2] == ["wte.weight", "wpe.weight"]
        assert f"h.{{1..6}}.{LAYER[0]}" in names and f"h.{{8..{layers - 1}}}.{LAYER[-1]}" in names
        assert len(result.missing) == 2 * len(LAYER) + 2  # wte, wpe, and two runs of each tensor of a layer
        run = next(e for e in result.missing if e.name == f"h.{{8..{layers - 1}}}.attn.c_attn.weight")
        assert (run.count, run.indices, run.expected) == (layers - 8, ((8, layers - 1, 1),), (768, 2304))
    assert peaks[10**6] < 2_000_000 and peaks[10**6] < 3 * peaks[10**4] + 200_000, peaks


def test_a_spec_of_10_to_the_18_layers_against_a_small_checkpoint(tmp_path, capsys):
    """One row per run with its count; JSON exact; exit status 1."""
    spec = deep_gpt2(tmp_path, 10**18)
    checkpoint = sparse_checkpoint(tmp_path, (5,))
    model = load(spec)[0]
    model.architecture.tally  # noqa: B018
    from registry.checkpoints import open_checkpoint

    compare(model, open_checkpoint(checkpoint).tensors)  # the modules it imports on first use are not the peak
    result, peak = peak_bytes(lambda: compare(model, open_checkpoint(checkpoint).tensors))
    assert peak < 2_000_000
    assert result.counts["missing"] == 12 * (10**18 - 1) + 2 and result.counts["matched"] == 14
    assert main(["verify", str(spec), str(checkpoint)]) == 1
    out = capsys.readouterr().out
    assert out.splitlines()[0].endswith(f"14 matched, {12 * (10**18 - 1) + 2} missing, 0 extra, 0 shape mismatches")
    assert "h.{0..4}.attn.c_attn.weight (×5)" in out
    assert f"h.{{6..{10**18 - 1}}}.attn.c_attn.weight (×{10**18 - 6})" in out
    assert len(out.splitlines()) < 80  # one row per run: 26 rows, two lines each at 80 columns (name, then cells)
    assert main(["verify", "-f", "json", str(spec), str(checkpoint)]) == 1
    data = json.loads(capsys.readouterr().out)
    run = next(e for e in data["missing"] if e["name"] == f"h.{{6..{10**18 - 1}}}.mlp.c_fc.weight")
    assert run == {"name": f"h.{{6..{10**18 - 1}}}.mlp.c_fc.weight", "checkpoint": None, "expected": [768, 3072],
                   "found": None, "note": "", "count": 10**18 - 6, "indices": [[6, 10**18 - 1, 1]]}  # fmt: skip
    assert data["counts"]["missing"] == sum(e.get("count", 1) for e in data["missing"])
    assert all(set(e) == {"name", "checkpoint", "expected", "found", "note"} for e in data["matched"])


def test_a_full_checkpoint_of_10_to_the_4_layers_matches(tmp_path, capsys):
    """A checkpoint that really holds 120,002 tensors: all matched (linear in the checkpoint)."""
    layers = 10**4
    spec = deep_gpt2(tmp_path, layers)
    model = load(spec)[0]
    tensors = [TensorInfo(t.path, "F32", t.shape, 0) for t in iter_tensors(model.architecture)]
    result = compare(model, tensors)
    assert result.identical and result.counts["matched"] == len(tensors) == 12 * layers + 4
    assert [e.name for e in result.matched] == [t.name for t in tensors]  # spec order


def test_few_copies_are_listed_one_by_one(tmp_path, capsys):
    """A run of one or two tensors is not a run: entries, JSON and rows as before."""
    spec = deep_gpt2(tmp_path, 3)
    checkpoint = sparse_checkpoint(tmp_path, (1,))
    assert main(["verify", "-f", "json", str(spec), str(checkpoint)]) == 1
    data = json.loads(capsys.readouterr().out)
    names = [e["name"] for e in data["missing"]]
    assert names == ["wte.weight", "wpe.weight", *(f"h.0.{t}" for t in LAYER), *(f"h.2.{t}" for t in LAYER)]
    assert all("count" not in e for e in data["missing"])
