"""Counts of the shipped specs against published figures and the seed documents.

Each expected number names its reference: the count that PyTorch/transformers gives
for the real implementation (``sum(p.numel() for p in model.parameters())``, checked
live in tests/test_reference_torch.py), or a figure printed in a paper or in a seed.
"""

from __future__ import annotations

import math
import tomllib

import pytest

import registry
from tests._hf_configs import quiet_transformers
from tests.conftest import SPECS


def one(spec: str) -> registry.Report:
    (model,) = registry.load(SPECS / spec)
    return registry.count(model)


def spec_params(spec: str) -> dict:
    """The [params] table of a spec file, read with tomllib (not with registry's own loader)."""
    return tomllib.loads((SPECS / spec).read_text(encoding="utf-8"))["params"]


def transformers_config(spec: str):
    """(model class, config) of transformers built from a spec's [params], field by field."""
    transformers = quiet_transformers()
    p = spec_params(spec)
    if spec.startswith("bert"):
        config = transformers.BertConfig(
            vocab_size=p["vocab_size"], max_position_embeddings=p["n_positions"], type_vocab_size=p["type_vocab_size"],
            hidden_size=p["d_model"], num_hidden_layers=p["n_layers"], num_attention_heads=p["n_heads"],
            intermediate_size=p["d_ff"],
        )  # fmt: skip
        return getattr(transformers, p["architecture"]), config
    fields = dict(vocab_size=p["vocab_size"], n_positions=p["n_positions"], n_embd=p["d_model"], n_layer=p["n_layers"],
                  n_head=p["n_heads"])  # fmt: skip
    if p["style"] == "openai-gpt":
        return transformers.OpenAIGPTModel, transformers.OpenAIGPTConfig(**fields)
    return transformers.GPT2Model, transformers.GPT2Config(**fields)


def meta_counts(model_cls, config) -> tuple[int, int]:
    """(parameters() counted once, named_parameters(remove_duplicate=False): every name) on the meta device."""
    import torch

    with torch.device("meta"):
        model = model_cls(config)
    once = sum(p.numel() for p in model.parameters())
    every_name = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    return once, every_name


# The Hugging Face model classes built from each spec's own [params] on the meta device. The
# numbers are written out too, as the README and the seed pages quote them.
@pytest.mark.parametrize(
    "spec, expected",
    [
        ("bert-base-uncased.toml", 109_482_240),  # BertModel; Devlin et al. 2018 round it to 110M
        ("bert-large-uncased.toml", 335_141_888),  # BertModel; Devlin et al. 2018 round it to 340M
        ("gpt1.toml", 116_534_784),  # OpenAIGPTModel
        ("gpt2.toml", 124_439_808),  # GPT2Model
        ("gpt2-medium.toml", 354_823_168),  # GPT2Model
        ("gpt2-large.toml", 774_030_080),  # GPT2Model
        ("gpt2-xl.toml", 1_557_611_200),  # GPT2Model
    ],
)
def test_exact_counts_equal_transformers(spec, expected):
    reference, _ = meta_counts(*transformers_config(spec))
    assert one(spec).total_params == reference == expected


def test_gpt2_without_biases_is_nanogpt_transformer_sizing():
    """nanoGPT's transformer_sizing.ipynb (github.com/karpathy/nanoGPT) counts GPT-2 124M with
    bias=False (no linear biases, LayerNorms without shifts): block 7,079,424, total 124,337,664,
    "we see: 124337664, expected: 124337664, match: True". Our GPT-2 tensors without the biases
    give the same, as do transformers' GPT2Model's."""
    model_cls, config = transformers_config("gpt2.toml")
    import torch

    with torch.device("meta"):
        reference = model_cls(config)
    no_bias = sum(p.numel() for n, p in reference.named_parameters() if not n.endswith(".bias"))
    (model,) = registry.load(SPECS / "gpt2.toml")
    ours = [t for t in registry.iter_tensors(model.architecture) if not t.path.endswith(".bias")]
    assert sum(math.prod(t.shape) for t in ours) == no_bias == 124_337_664
    block = sum(math.prod(t.shape) for t in ours if t.path.startswith("h.0."))
    assert block == 7_079_424  # the notebook's 'block' row, and the seed GPT-2 blog's per-layer sum


def test_seed_blog_bert_for_masked_lm():
    """The seed blog post "Compter les Paramètres de BERT": torchinfo printed 132,152,880 for
    BertForMaskedLM(vocab 30,000, 512 positions); its subtotals are embeddings 23,434,752, linear
    108,678,192, LayerNorm 39,936. The decoder weight (768 x 30,000 = 23,040,000) is tied to the
    word embeddings, so model.parameters() has 132,152,880 - 23,040,000 = 109,112,880.
    transformers holds the decoder's bias under two names, cls.predictions.decoder.bias and
    cls.predictions.bias (one tensor): counting every name gives 132,152,880 + 30,000."""
    report = one("bert-mlm-30k.toml")
    assert report.total_with_ties == 132_152_880
    assert report.total_params == 109_112_880
    assert report.total_with_ties - report.total_params == 768 * 30_000
    assert report.by_kind == {"embedding": 23_434_752, "linear": 108_678_192, "layer_norm": 39_936}
    transformers = quiet_transformers()
    import torch

    config = transformers.BertConfig(vocab_size=30_000, max_position_embeddings=512)  # the blog's model
    with torch.device("meta"):
        reference = transformers.BertForMaskedLM(config)
    named = dict(reference.named_parameters(remove_duplicate=False))
    assert named["cls.predictions.decoder.bias"] is named["cls.predictions.bias"]
    assert named["cls.predictions.decoder.weight"] is named["bert.embeddings.word_embeddings.weight"]
    once, every_name = meta_counts(transformers.BertForMaskedLM, config)
    assert report.total_params == once
    (model,) = registry.load(SPECS / "bert-mlm-30k.toml")
    bias = next(t for t in registry.iter_tensors(model.architecture) if t.path == "cls.predictions.bias")
    assert every_name == report.total_with_ties + math.prod(bias.shape) == 132_182_880


# The seed GPT-2 blog post's configurations (GPT_CONFIG_124M, GPT_CONFIG_1558M), as Raschka's
# GPTModel builds them (qkv_bias False, the other biases kept, LayerNorms with shifts). The
# reference is transformers' GPTNeoForCausalLM, whose blocks have the same tensors: q/k/v without
# bias, out_proj, c_fc and c_proj with biases, learned positions. The book prints 163,009,536 for
# its untied model and 124,412,160 "considering weight tying" (ch04).
BLOG_CONFIGS = {
    "gpt2-blog-124m": (768, 12, 12, False, 163_009_536),
    "gpt2-blog-124m-tied": (768, 12, 12, True, 124_412_160),
    "gpt2-blog-1558m": (1600, 25, 48, False, 1_637_792_000),
    "gpt2-blog-1558m-tied": (1600, 25, 48, True, 1_557_380_800),
}
# The book's module names -> GPTNeoForCausalLM's (both nn.Linear: the same shapes).
NEO_NAMES = [("tok_emb", "transformer.wte"), ("pos_emb", "transformer.wpe"), ("trf_blocks.", "transformer.h."),
             ("norm1", "ln_1"), ("norm2", "ln_2"), ("att.W_query", "attn.attention.q_proj"),
             ("att.W_key", "attn.attention.k_proj"), ("att.W_value", "attn.attention.v_proj"),
             ("att.out_proj", "attn.attention.out_proj"), ("ff.layers.0", "mlp.c_fc"), ("ff.layers.2", "mlp.c_proj"),
             ("final_norm", "transformer.ln_f"), ("out_head", "lm_head")]  # fmt: skip


@pytest.mark.parametrize("name", sorted(BLOG_CONFIGS))
def test_seed_blog_gpt_configs_equal_transformers(name):
    d, heads, layers, tied, expected = BLOG_CONFIGS[name]
    transformers = quiet_transformers()
    config = transformers.GPTNeoConfig(
        vocab_size=50257, max_position_embeddings=1024, hidden_size=d, num_heads=heads, num_layers=layers,
        intermediate_size=4 * d, attention_types=[[["global"], layers]], tie_word_embeddings=tied,
    )  # fmt: skip
    import torch

    with torch.device("meta"):
        reference = transformers.GPTNeoForCausalLM(config)
    once = sum(p.numel() for p in reference.parameters())
    every_use = sum(p.numel() for _, p in reference.named_parameters(remove_duplicate=False))
    report = one(f"{name}.toml")
    assert (report.total_params, report.total_with_ties) == (once, every_use)
    assert report.total_params == expected
    (model,) = registry.load(SPECS / f"{name}.toml")

    def neo(path: str) -> str:
        for book, hf in NEO_NAMES:
            path = path.replace(book, hf)
        return path

    ours = {neo(t.path): t.shape for t in registry.iter_tensors(model.architecture) if t.tied_to is None}
    assert ours == {n: tuple(p.shape) for n, p in reference.named_parameters()}


def test_seed_blog_per_layer_sum_is_a_block_without_biases():
    """The blog's per-layer 7,079,424 (attention and feed-forward weights, 2 x 768 of LayerNorm)
    is a block with no bias at all. Its own config (qkv_bias False) keeps out_proj's and the
    feed-forward's biases and the LayerNorm shifts: 768 + 3,072 + 768 + 2 x 768 more per layer."""
    (model,) = registry.load(SPECS / "gpt2-blog-124m.toml")
    block = [t for t in registry.iter_tensors(model.architecture) if t.path.startswith("trf_blocks.0.")]
    weights = sum(math.prod(t.shape) for t in block if not t.path.endswith(".bias"))
    assert weights == 7_079_424
    assert sum(math.prod(t.shape) for t in block) == 7_079_424 + 768 + 3072 + 768 + 2 * 768


def test_seed_blog_gpt2_sum_went_wrong():
    """The seed blog post "Calculating parameters and what does that mean" gets 123,550,272 for GPT-2 124M. Its sum leaves out the position embedding
    (1024 x 768), every bias (qkv 3 x 768, attention output 768, MLP 3072 + 768 per layer) and the
    LayerNorm shifts (2 x 768 per layer, 768 for ln_f); and its token embedding product is wrong:
    50,257 x 768 is 38,597,376, not the 38,596,416 it prints (960 short). Mending exactly those
    terms gives transformers' count."""
    vocab, d, layers, ctx = 50257, 768, 12, 1024
    blog_embedding, blog_total = 38_596_416, 123_550_272
    embedding_slip = vocab * d - blog_embedding
    assert embedding_slip == 960
    position = ctx * d
    biases = layers * (3 * d + d + 4 * d + d)
    norm_shifts = layers * 2 * d + d
    mended = blog_total + embedding_slip + position + biases + norm_shifts
    assert mended == one("gpt2.toml").total_params == 124_439_808


# Table A9 of Hoffmann et al. 2022 (arXiv 2203.15556) as the seed notebook lists it (nanoGPT's
# scaling_laws.ipynb, github.com/karpathy/nanoGPT: "all the 50 Chinchilla models on the last page
# of the paper"): params, d_model, ffw_size, kv_size, n_heads, n_layers.
TABLE_A9 = [
    [44e6, 512, 2048, 64, 8, 8], [57e6, 576, 2304, 64, 9, 9], [74e6, 640, 2560, 64, 10, 10],
    [90e6, 640, 2560, 64, 10, 13], [106e6, 640, 2560, 64, 10, 16], [117e6, 768, 3072, 64, 12, 12],
    [140e6, 768, 3072, 64, 12, 15], [163e6, 768, 3072, 64, 12, 18], [175e6, 896, 3584, 64, 14, 14],
    [196e6, 896, 3584, 64, 14, 16], [217e6, 896, 3584, 64, 14, 18], [251e6, 1024, 4096, 64, 16, 16],
    [278e6, 1024, 4096, 64, 16, 18], [306e6, 1024, 4096, 64, 16, 20], [425e6, 1280, 5120, 128, 10, 18],
    [489e6, 1280, 5120, 128, 10, 21], [509e6, 1408, 5632, 128, 11, 18], [552e6, 1280, 5120, 128, 10, 24],
    [587e6, 1408, 5632, 128, 11, 21], [632e6, 1536, 6144, 128, 12, 19], [664e6, 1408, 5632, 128, 11, 24],
    [724e6, 1536, 6144, 128, 12, 22], [816e6, 1536, 6144, 128, 12, 25], [893e6, 1792, 7168, 128, 14, 20],
    [1018e6, 1792, 7168, 128, 14, 23], [1143e6, 1792, 7168, 128, 14, 26], [1266e6, 2048, 8192, 128, 16, 22],
    [1424e6, 2176, 8704, 128, 17, 22], [1429e6, 2048, 8192, 128, 16, 25], [1593e6, 2048, 8192, 128, 16, 28],
    [1609e6, 2176, 8704, 128, 17, 25], [1731e6, 2304, 9216, 128, 18, 24], [1794e6, 2176, 8704, 128, 17, 28],
    [2007e6, 2304, 9216, 128, 18, 28], [2283e6, 2304, 9216, 128, 18, 32], [2298e6, 2560, 10240, 128, 20, 26],
    [2639e6, 2560, 10240, 128, 20, 30], [2980e6, 2560, 10240, 128, 20, 34], [3530e6, 2688, 10752, 128, 22, 36],
    [3802e6, 2816, 11264, 128, 22, 36], [4084e6, 2944, 11776, 128, 22, 36], [4516e6, 3072, 12288, 128, 24, 36],
    [6796e6, 3584, 14336, 128, 28, 40], [9293e6, 4096, 16384, 128, 32, 42], [11452e6, 4352, 17408, 128, 32, 47],
    [12295e6, 4608, 18432, 128, 36, 44], [12569e6, 4608, 18432, 128, 32, 47], [13735e6, 4864, 19456, 128, 32, 47],
    [14940e6, 4992, 19968, 128, 32, 49], [16183e6, 5120, 20480, 128, 40, 47],
]  # fmt: skip


def test_chinchilla_table_a9_spec_is_the_papers_table():
    """Every row of specs/chinchilla-table-a9.toml (read with tomllib) is the paper's row."""
    rows = tomllib.loads((SPECS / "chinchilla-table-a9.toml").read_text(encoding="utf-8"))["models"]
    ours = [[r["reported_params"], r["params"][k1], r["params"][k2], r["params"][k3], r["params"][k4], r["params"][k5]]
            for r in rows for k1, k2, k3, k4, k5 in [("d_model", "d_ff", "head_dim", "n_heads", "n_layers")]]  # fmt: skip
    assert ours == [[int(p), *rest] for p, *rest in TABLE_A9]


def test_chinchilla_table_a9_within_one_percent():
    """All 50 counts within 1% of the parameters Table A9 prints (the seed notebook's list)."""
    models = registry.load(SPECS / "chinchilla-table-a9.toml")
    assert len(models) == len(TABLE_A9) == 50
    for model, (published, *_) in zip(models, TABLE_A9):
        assert model.name == f"chinchilla-a9-{round(published / 1e6)}m"
        assert abs(registry.count(model).total_params / published - 1) < 0.01, model.name


def test_chinchilla_and_gopher_headline_sizes():
    """Chinchilla 70B and Gopher 280B (Hoffmann et al. 2022, Table 4) within 0.5%."""
    assert abs(one("chinchilla-70b.toml").reported_diff_pct) < 0.5
    assert abs(one("gopher-280b.toml").reported_diff_pct) < 0.5


def test_gpt3_table_2_1_within_two_percent():
    """GPT-3's eight sizes (Brown et al. 2020, Table 2.1) within 2% of the table's n_params."""
    for model in registry.load(SPECS / "gpt3.toml"):
        assert abs(registry.count(model).reported_diff_pct) < 2.0, model.name


def test_gpt4_rumoured_total_and_active():
    """shared/seeds/004: ~1.8T total and ~280B active (2 of 16 experts of ~111B + ~55B shared)."""
    report = one("gpt4-moe-rumored.toml")
    assert abs(report.total_params / 1.8e12 - 1) < 0.05
    assert abs(report.active_params / 280e9 - 1) < 0.05
    per_expert = report.components["experts"] // 16
    assert abs(per_expert / 111e9 - 1) < 0.05
    assert abs(report.components["attention"] / 55e9 - 1) < 0.05


def test_seed_notebook_gpt_params_leaves_out_the_position_embeddings():
    """The seed notebook (nanoGPT's scaling_laws.ipynb) prints gpt_params(gpt2) = 123.653376M. It is
    transformers' GPT2Model count less wpe, what nanoGPT's GPT.get_num_params() (non_embedding=True,
    the default) returns: sum(p.numel() for p in self.parameters()) - self.transformer.wpe.weight.numel()."""
    model_cls, config = transformers_config("gpt2.toml")
    import torch

    with torch.device("meta"):
        reference = model_cls(config)
    get_num_params = sum(p.numel() for p in reference.parameters()) - reference.wpe.weight.numel()
    report = one("gpt2.toml")
    wpe = next(row for row in report.layers if row.path == "wpe")
    assert get_num_params == report.total_params - wpe.params == 123_653_376
