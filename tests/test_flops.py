"""Tests of registry.analyses.flops and ``registry flops``: the seed notebook's FLOPs table, Appendix F's
formula written out here, grouped-query and MoE attention written out here, conventions, error
paths, and every command shown in docs/compute.md."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from registry.blocks import Attention, BlockBase, Embedding, FeedForward, Linear, MoE, Module, Repeat, RMSNorm
from registry.cli import main
from registry.analyses.flops import TERMS, flops, forward_terms
from registry.sources.loading import load
from registry.model import Model

ROOT = Path(__file__).resolve().parents[1]
A4 = ROOT / "specs" / "chinchilla-table-a4.toml"
DOC = ROOT / "docs" / "compute.md"

# The seed notebook (shared/seeds/002_364213147d340780.txt), its FLOPs table at seq_len 2048 and
# vocab 32,000: (num_layers, d_model, ffw_size, num_heads) -> F (training FLOPs per sequence,
# embeddings and logits left out) and ratio (F / 6*N*D, N by the notebook's own formula).
SEED_ROWS = [
    ((10, 640, 2560, 10), 929877196800, 1.025036),
    ((20, 1024, 4096, 16), 4135248199680, 1.100817),
    ((24, 1280, 5120, 10), 7353453772800, 1.082919),
    ((26, 1792, 7168, 14), 14670316437504, 1.044094),
    ((28, 2048, 8192, 16), 20220437594112, 1.032902),
    ((40, 3584, 14336, 28), 83021046743040, 0.994114),
]
# Hoffmann et al. 2022, Table A4, "FLOP Ratio (Ours/6ND)", as printed (two decimals).
PAPER_RATIOS = [1.03, 1.10, 1.08, 1.04, 1.03, 0.99]


def appendix_f_forward(seq_len, vocab_size, d_model, num_heads, num_layers, ffw_size, with_ends):
    """Appendix F's forward FLOPs per sequence, written out from the paper (attention width
    key_size * num_heads = d_model here); ``with_ends`` adds the embeddings and final logits."""
    key_size = d_model // num_heads
    attention = 2 * 3 * seq_len * d_model * (key_size * num_heads)
    logits_att = 2 * seq_len * seq_len * (key_size * num_heads)
    softmax = 3 * num_heads * seq_len * seq_len
    values = 2 * seq_len * seq_len * (key_size * num_heads)
    out = 2 * seq_len * (key_size * num_heads) * d_model
    dense = 2 * seq_len * (d_model * ffw_size + d_model * ffw_size)
    ends = 2 * seq_len * vocab_size * d_model * 2 if with_ends else 0
    return num_layers * (attention + logits_att + softmax + values + out + dense) + ends


@pytest.fixture(scope="module")
def a4_models():
    return load(A4)


def run_cli(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- the seed notebook's table ----------------------------------------------------------------


def test_a4_spec_matches_the_seed_rows(a4_models):
    assert len(a4_models) == len(SEED_ROWS)
    for model, ((layers, d, ff, heads), _, _) in zip(a4_models, SEED_ROWS):
        p = model.params
        assert (p.n_layers, p.d_model, p.d_ff, p.n_heads, p.vocab_size) == (layers, d, ff, heads, 32000)


def test_seed_F_reproduced_exactly(a4_models):
    for model, (_, seed_f, _) in zip(a4_models, SEED_ROWS):
        report = flops(model, seq_len=2048, convention="table-a4")
        assert report.training_flops_per_sequence == seed_f


def test_seed_ratios_within_one_percent_and_paper_ratios(a4_models):
    for model, (_, _, seed_ratio), printed in zip(a4_models, SEED_ROWS, PAPER_RATIOS):
        report = flops(model, seq_len=2048, convention="table-a4")
        assert abs(report.ratio / seed_ratio - 1) < 0.01
        assert round(report.ratio, 2) == printed


def test_appendix_f_convention_adds_embeddings_and_logits(a4_models):
    for model, ((layers, d, ff, heads), _, _) in zip(a4_models, SEED_ROWS):
        for seq in (2048, 512):
            report = flops(model, seq_len=seq)
            assert report.forward_flops_per_sequence == appendix_f_forward(seq, 32000, d, heads, layers, ff, True)
            a4 = flops(model, seq_len=seq, convention="table-a4")
            assert a4.forward_flops_per_sequence == appendix_f_forward(seq, 32000, d, heads, layers, ff, False)
            assert a4.terms["embeddings"] == a4.terms["logits"] == 0


def test_backward_twice_forward_and_6nd(a4_models):
    report = flops(a4_models[0], seq_len=1000)
    assert report.backward_flops_per_sequence == 2 * report.forward_flops_per_sequence
    assert report.training_flops_per_sequence == 3 * report.forward_flops_per_sequence
    assert report.forward_flops_per_token * 1000 == report.forward_flops_per_sequence
    assert report.approx_6nd_per_sequence == 6 * report.active_params * 1000
    assert report.ratio == report.training_flops_per_sequence / report.approx_6nd_per_sequence
    assert set(report.terms) == set(TERMS)
    assert sum(report.terms.values()) == report.forward_flops_per_sequence


def test_tokens_give_totals(a4_models):
    report = flops(a4_models[0], seq_len=2048, tokens=10**9)
    assert report.approx_6nd == 6 * report.active_params * 10**9
    assert report.training_flops == report.training_flops_per_token * 10**9
    assert flops(a4_models[0]).tokens is None  # the spec has no training_tokens


# --- grouped-query attention, MoE, unknown blocks: formulas written here ----------------------


def _model(*blocks: BlockBase, name: str = "toy") -> Model:
    return Model(name=name, architecture=Module(blocks=list(blocks)))


def test_grouped_query_attention_and_gated_ffn():
    v, d, h, kv, hw, ff, layers, s = 1000, 256, 8, 2, 32, 704, 3, 128
    layer = [
        RMSNorm(name="n1", dim=d),
        Attention(name="attn", d_model=d, n_heads=h, n_kv_heads=kv, head_dim=hw, bias=False),
        FeedForward(name="mlp", d_model=d, d_ff=ff, gated=True, bias=False),
    ]
    model = _model(
        Embedding(name="tok", num_embeddings=v, embedding_dim=d),
        Repeat(name="layers", count=layers, blocks=layer),
        Linear(name="head", in_features=d, out_features=v, bias=False, component="head"),
    )
    terms, notes = forward_terms(model, s)
    inner, kvw = h * hw, kv * hw
    assert terms["attention_qkv"] == layers * 2 * s * d * (inner + 2 * kvw)
    assert terms["attention_logits"] == terms["attention_values"] == layers * 2 * s * s * inner
    assert terms["attention_softmax"] == layers * 3 * h * s * s
    assert terms["attention_output"] == layers * 2 * s * inner * d
    assert terms["feed_forward"] == layers * 2 * s * 3 * d * ff
    assert terms["embeddings"] == terms["logits"] == 2 * s * v * d
    assert notes == []


def test_moe_counts_routed_top_k_and_shared_experts():
    d, ff, shared_ff, experts, k, layers, s = 64, 128, 96, 8, 2, 4, 16
    moe = MoE(name="moe", d_model=d, d_ff=ff, n_experts=experts, top_k=k, n_shared_experts=1, shared_d_ff=shared_ff)
    model = _model(Repeat(name="layers", count=layers, blocks=[moe]))
    report = flops(model, seq_len=s)
    assert report.terms["feed_forward"] == layers * 2 * s * 3 * d * (k * ff + shared_ff)
    assert report.terms["router"] == layers * 2 * s * d * experts
    active = layers * (d * experts + 3 * d * (k * ff + shared_ff))
    assert report.active_params == active < report.total_params
    assert report.approx_6nd_per_sequence == 6 * active * s


def test_head_that_is_not_a_vocabulary_is_other():
    d, v, s = 32, 100, 8
    model = _model(
        Embedding(name="tok", num_embeddings=v, embedding_dim=d),
        Linear(name="pooler", in_features=d, out_features=d, component="head"),
    )
    terms, notes = forward_terms(model, s)
    assert terms["other"] == 2 * s * d * d and terms["logits"] == 0
    assert any("no output head" in n for n in notes)


class _Mystery(BlockBase):
    """A composite kind the FLOPs counter has never heard of."""

    kind: str = "mystery"

    def children(self):
        return (Linear(name="a", in_features=10, out_features=20), Linear(name="b", in_features=20, out_features=10))


def test_unknown_composite_falls_back_to_two_flops_per_weight():
    model = Model(name="m", architecture=Module.model_construct(name="", blocks=[_Mystery()]))
    terms, notes = forward_terms(model, 4)
    assert terms["other"] == 4 * 2 * (10 * 20 + 20 * 10)
    assert any("'mystery'" in n and "2 FLOPs per weight" in n for n in notes)


def test_latent_attention_terms():
    from registry import blocks

    d, h, qr, kvr, nope, rope, vd, s = 128, 4, 48, 32, 16, 8, 16, 10
    mla = blocks.LatentAttention(d_model=d, n_heads=h, q_lora_rank=qr, kv_lora_rank=kvr, qk_nope_head_dim=nope,
                                 qk_rope_head_dim=rope, v_head_dim=vd)  # fmt: skip
    terms, notes = forward_terms(_model(mla), s)
    projections = d * qr + qr * h * (nope + rope) + d * (kvr + rope) + kvr * h * (nope + vd)
    assert terms["attention_qkv"] == 2 * s * projections
    assert terms["attention_output"] == 2 * s * h * vd * d
    assert terms["attention_logits"] == 2 * s * s * h * (nope + rope)
    assert terms["attention_values"] == 2 * s * s * h * vd
    assert terms["attention_softmax"] == 3 * h * s * s
    assert not any("not known" in n for n in notes)


def test_library_rejects_bad_arguments(a4_models):
    with pytest.raises(ValueError, match="convention"):
        flops(a4_models[0], convention="kaplan")
    with pytest.raises(ValueError, match="seq_len"):
        flops(a4_models[0], seq_len=0)


# --- the command --------------------------------------------------------------------------------


def test_cli_json_keys(capsys):
    code, out, _ = run_cli(capsys, "flops", str(A4), "--convention", "table-a4", "--format", "json")
    assert code == 0
    rows = json.loads(out)
    for row, (_, seed_f, _) in zip(rows, SEED_ROWS):
        for key in ("name", "total_params", "active_params", "reported_params", "forward_flops_per_sequence",
                    "training_flops_per_sequence", "approx_6nd_per_sequence", "ratio"):  # fmt: skip
            assert key in row
        assert row["training_flops_per_sequence"] == seed_f


def test_cli_table_csv_markdown(capsys):
    code, out, _ = run_cli(capsys, "flops", str(A4), "--convention", "table-a4")
    assert code == 0 and "9.30e+11" in out and "convention table-a4" in out  # 929,877,196,800 as FLOPs read in tables
    code, out, _ = run_cli(capsys, "flops", str(A4), "--format", "csv", "--tokens", "1.4e12")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 7 and "forward_attention_logits" in lines[0]
    assert ",1400000000000," in lines[1]
    code, out, _ = run_cli(capsys, "flops", str(A4), "--format", "markdown", "--details")
    assert code == 0 and out.startswith("| name") and "attention_softmax" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--seq-len", "-3"], "--seq-len must be a positive whole number"),
        (["--seq-len", "abc"], "--seq-len must be a positive whole number"),
        (["--tokens", "0"], "--tokens must be a positive whole number"),
        (["--convention", "kaplan"], "--convention must be one of appendix-f, table-a4"),
    ],
)
def test_cli_bad_input_is_one_line(capsys, argv, message):
    code, out, err = run_cli(capsys, "flops", str(A4), *argv)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and message in err


def test_cli_missing_spec(capsys, tmp_path):
    code, _, err = run_cli(capsys, "flops", str(tmp_path / "nope.toml"))
    assert code == 2 and "no such file" in err and "Traceback" not in err


# --- docs/compute.md: every command shown runs, and prints what the page shows ----------------


def doc_examples() -> list[tuple[str, str]]:
    """(command, expected output) of every example of docs/compute.md: ```console blocks
    (``$ registry ...`` then the output) and rendered ones (``<!-- $ registry ... -->``, the
    output as Markdown, ``<!-- /output -->``)."""
    text = DOC.read_text(encoding="utf-8")
    examples = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        lines = block.rstrip("\n").split("\n")
        assert lines[0].startswith("$ registry "), lines[0]
        examples.append((lines[0][2:], "\n".join(lines[1:])))
    for command, output in re.findall(r"<!-- \$ (registry [^\n]*?) -->\n(.*?)<!-- /output -->", text, flags=re.S):
        examples.append((command, output))
    return examples


@pytest.mark.parametrize("command, expected", doc_examples(), ids=[c for c, _ in doc_examples()])
def test_docs_compute_commands(capsys, monkeypatch, tmp_path, command, expected):
    argv = shlex.split(command)[1:]
    missing = [a for a in argv if a.endswith(".toml") and not (ROOT / a).exists()]
    assert not missing, f"docs/compute.md names specs that do not exist: {', '.join(missing)}"
    if argv[0] == "plot":
        pytest.importorskip("matplotlib")
    (tmp_path / "specs").symlink_to(ROOT / "specs")
    (tmp_path / "tests").symlink_to(ROOT / "tests")  # the published configs of tests/configs
    monkeypatch.chdir(tmp_path)  # plots land in tmp_path
    code, out, _ = run_cli(capsys, *argv)
    assert code == 0
    assert out.rstrip("\n") == expected.rstrip("\n")


def test_docs_show_the_seed_table():
    assert len(doc_examples()) >= 5  # a renamed or emptied page is an error, not zero cases
    examples = dict(doc_examples())
    (a4,) = [out for cmd, out in examples.items() if "chinchilla-table-a4.toml --convention table-a4" in cmd]
    for _, seed_f, _ in SEED_ROWS:
        assert f"{seed_f:,}" in a4
    assert any("--compute 1e19 1e20 1e21 1e22 1e23 1e24 1e25" in c and "besiroglu" in c for c in examples)
