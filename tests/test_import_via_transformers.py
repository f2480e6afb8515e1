"""``registry import-hf --via transformers``: a [[blocks]] spec read off transformers' meta model.

References, all built on the meta device by transformers 5.25 (nothing is allocated or downloaded):

* totals: ``sum(p.numel() for p in model.parameters())`` of the model transformers builds from the config;
* active: the same with each routed-expert tensor (``.experts.``, fused: first dimension = experts)
  counted at its ``top_k / n_experts`` share, ``top_k`` the config's ``num_experts_per_tok``;
* tensor names and shapes: ``named_parameters(remove_duplicate=False)`` of the same model.

``exaone`` (dense) and ``exaone_moe`` (MoE, a dense first layer and shared experts) are mapped by no
plugin of this repository (the test checks it); ``qwen3_moe``, ``llama`` and ``gpt_oss`` are, and count
the same by both routes.
"""

from __future__ import annotations

import sys
import tomllib

import pytest

import registry
from registry.analyses.report import iter_tensors
from registry.output import toml_writer
from tests.conftest import ROOT
from tests._hf_configs import make_config, meta_model, quiet_transformers, reference_counts, write_config

_ATTENTION = dict(hidden_size=64, num_attention_heads=4, num_key_value_heads=2, vocab_size=100, pad_token_id=0,
                  bos_token_id=1, eos_token_id=2)  # fmt: skip
UNMAPPED = {
    # cwm (Code World Model: Llama with sliding layers) is no mapped type: exaone was, before plugins mapped it
    "cwm": ("CwmForCausalLM", dict(_ATTENTION, num_hidden_layers=3, intermediate_size=96, head_dim=16,
                                   tie_word_embeddings=True)),
    "exaone_moe": ("ExaoneMoeForCausalLM", dict(_ATTENTION, num_hidden_layers=4, intermediate_size=96,
                                                moe_intermediate_size=32, num_experts=8, num_experts_per_tok=2,
                                                mlp_layer_types=["dense", "sparse", "dense", "sparse"])),
}  # fmt: skip
MAPPED = {
    "qwen3_moe": ("Qwen3MoeForCausalLM", dict(_ATTENTION, num_hidden_layers=3, intermediate_size=96,
                                              moe_intermediate_size=32, num_experts=8, num_experts_per_tok=3,
                                              decoder_sparse_step=1, mlp_only_layers=[0])),
    "llama": ("LlamaForCausalLM", dict(_ATTENTION, num_hidden_layers=2, intermediate_size=96, tie_word_embeddings=True)),
    # experts stored (in, out) with biases, attention sinks: fused_experts transposed, bias, and a parameter
    "gpt_oss": ("GptOssForCausalLM", dict(_ATTENTION, num_hidden_layers=2, intermediate_size=32, head_dim=16,
                                          num_local_experts=4, num_experts_per_tok=2)),
}  # fmt: skip


def _via_transformers(cli, tmp_path, model_type, cls, fields):
    config = make_config(model_type, cls, fields)
    path = write_config(config, tmp_path / "config.json", drop=("architectures",))
    result = cli("import-hf", "--via", "transformers", path, "-o", tmp_path / "spec.toml")
    assert result.code == 0, result.err
    (model,) = registry.load(tmp_path / "spec.toml")
    return config, path, model


@pytest.mark.parametrize("model_type", sorted(UNMAPPED))
def test_spec_counts_what_transformers_builds(cli, tmp_path, model_type):
    """Total, active, tensor names and shapes of the written spec equal transformers' meta model."""
    quiet_transformers()
    cls, fields = UNMAPPED[model_type]
    config, path, model = _via_transformers(cli, tmp_path, model_type, cls, fields)
    assert cli("import-hf", path).code == 2  # no plugin maps it
    theirs = meta_model(config)
    assert type(theirs).__name__ == cls
    total, active = reference_counts(config, fields.get("num_experts_per_tok"))
    report = registry.count(model)
    assert (report.total_params, report.active_params) == (total, active)
    ours = {t.path: t.shape for t in iter_tensors(model.architecture)}
    assert ours == {name: tuple(p.shape) for name, p in theirs.named_parameters(remove_duplicate=False)}
    text = (tmp_path / "spec.toml").read_text()
    spec = tomllib.loads(text)
    assert "family" not in spec and "transformers 5.25.0" in spec["source"] and str(path) in spec["source"]
    assert any(block["kind"] == "repeat" for block in spec["blocks"])  # the layers as runs, not one by one


def test_ties_counted_once(cli, tmp_path):
    """cwm with tied embeddings: the head is tied_to the token table (transformers shares the tensor)."""
    quiet_transformers()
    cls, fields = UNMAPPED["cwm"]
    config, _, model = _via_transformers(cli, tmp_path, "cwm", cls, fields)
    spec = tomllib.loads((tmp_path / "spec.toml").read_text())
    (head,) = [b for b in spec["blocks"] if b["name"] == "lm_head"]
    assert head["tied_to"] == "model.embed_tokens.weight"
    theirs = meta_model(config)
    report = registry.count(model)
    assert report.total_params == sum(p.numel() for p in theirs.parameters())
    assert report.total_with_ties == sum(p.numel() for _, p in theirs.named_parameters(remove_duplicate=False))


def test_moe_spec_marks_routed_experts(cli, tmp_path):
    """The routed experts are fused_experts with the config's top_k, said in the notes."""
    quiet_transformers()
    cls, fields = UNMAPPED["exaone_moe"]
    _via_transformers(cli, tmp_path, "exaone_moe", cls, fields)
    spec = tomllib.loads((tmp_path / "spec.toml").read_text())
    experts = [b for r in spec["blocks"] if r["kind"] == "repeat" for b in r["blocks"] if b["kind"] == "fused_experts"]
    assert experts and all(b["top_k"] == 2 and b["n_experts"] == 8 for b in experts)
    assert "top_k = 2 from the config's num_experts_per_tok" in spec["notes"]


@pytest.mark.parametrize("model_type", sorted(MAPPED))
def test_mapped_type_counts_the_same_by_both_routes(cli, tmp_path, model_type):
    """A type a plugin maps: the family's spec and the [[blocks]] spec give the same totals (the family
    names the experts as checkpoints store them, one module each; the [[blocks]] as transformers holds them)."""
    quiet_transformers()
    cls, fields = MAPPED[model_type]
    config, path, via = _via_transformers(cli, tmp_path, model_type, cls, fields)
    (mapped,) = registry.load(path)
    ours, theirs = registry.count(via), registry.count(mapped)
    assert (ours.total_params, ours.active_params, ours.total_with_ties) == (
        theirs.total_params, theirs.active_params, theirs.total_with_ties)
    assert reference_counts(config, fields.get("num_experts_per_tok")) == (ours.total_params, ours.active_params)
    assert {t.path: t.shape for t in iter_tensors(via.architecture)} == {
        name: tuple(p.shape) for name, p in meta_model(config).named_parameters(remove_duplicate=False)}


def test_without_transformers_the_route_is_refused(cli, tmp_path, monkeypatch):
    """One line saying how to install the extra, exit 2, nothing written."""
    monkeypatch.setitem(sys.modules, "transformers", None)  # `import transformers` raises ImportError
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "exaone"}')
    result = cli("import-hf", "--via", "transformers", path, "-o", tmp_path / "spec.toml")
    assert result.code == 2
    assert len(result.err.splitlines()) == 1
    assert "pip install 'nn-param-registry[transformers]'" in result.err
    assert not (tmp_path / "spec.toml").exists()


def test_unmapped_refusal_names_the_route(cli, tmp_path):
    path = tmp_path / "config.json"
    path.write_text('{"model_type": "exaone_moe"}')
    result = cli("import-hf", path)
    assert result.code == 2 and "registry import-hf --via transformers CONFIG" in result.err


def test_help_names_the_route(cli):
    result = cli("import-hf", "--help")
    assert "--via" in result.out and "nn-param-registry[transformers]" in result.out


def test_docs_example_is_what_the_route_writes(cli, monkeypatch):
    """docs/examples/tiny-exaone-moe.toml (shown counted in docs/quickstart.md) is the route's output
    for docs/examples/tiny-exaone-moe/config.json, byte for byte."""
    quiet_transformers()
    monkeypatch.chdir(ROOT)
    result = cli("import-hf", "--via", "transformers", "docs/examples/tiny-exaone-moe/config.json")
    assert result.code == 0, result.err
    assert result.out == (ROOT / "docs" / "examples" / "tiny-exaone-moe.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("model_type, cls, fields, field, words", [
    # RobertaForCausalLM: lm_head.decoder.bias is lm_head.bias (one tensor, two names), a tie [[blocks]] cannot write
    ("roberta", "RobertaForCausalLM", dict(hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                           intermediate_size=64, vocab_size=100, is_decoder=True),
     "lm_head.decoder.bias", "shares its storage with lm_head.bias"),
    # JetMoE's experts are ParallelExperts (8, 2*d_ff, d_model) under mlp.input_linear: not a known layout
    ("jetmoe", "JetMoeForCausalLM", dict(hidden_size=32, num_hidden_layers=1, num_key_value_heads=2, kv_channels=8,
                                         intermediate_size=16, vocab_size=100, num_local_experts=4, num_experts_per_tok=2),
     "model.layers.0.mlp.input_linear.weight", "may hold routed experts"),
])  # fmt: skip
def test_what_blocks_cannot_write_is_refused(cli, tmp_path, model_type, cls, fields, field, words):
    """A tie of a tensor other than a linear weight or an embedding, or experts of an unknown layout:
    one line naming the tensor, exit 2, nothing written (never a count that is silently wrong)."""
    quiet_transformers()
    path = write_config(make_config(model_type, cls, fields), tmp_path / "config.json")
    result = cli("import-hf", "--via", "transformers", path, "-o", tmp_path / "spec.toml")
    assert result.code == 2 and len(result.err.splitlines()) == 1
    assert f": {field}: " in result.err and words in result.err
    assert not (tmp_path / "spec.toml").exists()


def test_experts_as_modules_are_a_repeat_with_top_k_active(tmp_path):
    """Experts held one module each (``experts.0`` … ``experts.7``, as transformers 4 held them): one
    ``repeat`` with ``active = top_k``; dense and MoE layers alternate, as two runs of stride 2.
    Reference: PyTorch's own ``parameters()`` of the module tree."""
    torch = pytest.importorskip("torch")
    from torch import nn

    from registry.sources.meta_model import blocks_of

    class Expert(nn.Module):
        def __init__(self):
            super().__init__()
            self.up, self.down = nn.Linear(16, 32, bias=False), nn.Linear(32, 16, bias=False)

    class Layer(nn.Module):
        def __init__(self, moe: bool):
            super().__init__()
            self.norm = nn.LayerNorm(16)
            self.mlp = nn.Module()
            if moe:
                self.mlp.gate = nn.Linear(16, 8, bias=False)
                self.mlp.experts = nn.ModuleList(Expert() for _ in range(8))
            else:
                self.mlp.up = nn.Linear(16, 64)

    with torch.device("meta"):
        model = nn.Module()
        model.embed = nn.Embedding(50, 16)
        model.layers = nn.ModuleList(Layer(moe=i % 2 == 1) for i in range(6))
    blocks, experts = blocks_of(model, top_k=2, n_experts=8)
    assert [(b["start"] if "start" in b else 0, b["count"], b.get("stride", 1)) for b in blocks[1:]] == [(0, 3, 2), (1, 3, 2)]
    assert len(experts) == 3
    (tmp_path / "toy.toml").write_text(toml_writer.dumps_blocks({"name": "toy", "source": "a test"}, blocks))
    (spec,) = registry.load(tmp_path / "toy.toml")
    report = registry.count(spec)
    total = sum(p.numel() for p in model.parameters())
    routed = sum(p.numel() for name, p in model.named_parameters() if ".experts." in name)
    assert (report.total_params, report.active_params) == (total, total - routed * 6 // 8)
    assert {t.path: t.shape for t in iter_tensors(spec.architecture)} == {
        name: tuple(p.shape) for name, p in model.named_parameters()}
