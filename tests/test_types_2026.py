"""The model types of plugins/decoder_types_2026.py on their configs in tests/configs, against transformers.

tests/test_model_types.py checks every kept config's total by both routes; this adds, for the
configs of ministral, hunyuan_v1_dense, hunyuan_v1_moe, ernie4_5_moe, dots1, internlm3,
granitemoeshared, flex_olmo and minicpm3, the active count and the tensor names and shapes.
References, transformers 5.25 models built on the meta device from each config.json
(``<Type>Config.from_dict``; InternLM3's remote-code class is built as transformers builds it,
LlamaForCausalLM):

* total: ``sum(p.numel() for p in model.parameters())``;
* active: that total with each layer's routed experts (``.experts.`` in the name, the number of
  experts first in the shape) scaled by top_k / n_experts, top_k read from the config (Hunyuan's
  per-layer ``moe_topk`` list repeats one value; one whose values differ is tested on its own);
* names and shapes: ``named_parameters(remove_duplicate=False)``, registry's checkpoint names
  renamed into transformers' as tests/types_table.py says for the type.
"""

from __future__ import annotations

import json
import math

import pytest

import registry
from registry.analyses.report import iter_tensors
from registry.cli import main
from tests.conftest import ROOT
from tests.test_types_table import ROW, Reference, in_memory

pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")

CONFIGS = ROOT / "tests" / "configs"
#: The kept configs of this plugin's model types (folder -> the config field holding top_k, for MoE).
FOLDERS = {
    "ministral-transformers-defaults": None, "hunyuan-mt-7b": None, "internlm3-8b-instruct": None,
    "hunyuan-a13b": "moe_topk", "ernie-4.5-21b-a3b": "moe_k", "ernie-4.5-21b-a3b-thinking": "moe_k",
    "dots.llm1.inst": "num_experts_per_tok", "dots.llm1.base": "num_experts_per_tok",
    "granitemoeshared-transformers-defaults": "num_experts_per_tok", "tiny-random-flexolmoforcausallm": "num_experts_per_tok",
    "minicpm3-4b": None,
}  # fmt: skip


def _expected(reference: Reference, top_k_field: str | None) -> tuple[int, int]:
    model = reference.model
    total = sum(p.numel() for p in model.parameters())
    if top_k_field is None:
        return total, total
    top_k = getattr(reference.config, top_k_field)
    top_k = top_k[0] if isinstance(top_k, list) else top_k
    idle = sum(p.numel() * (p.shape[0] - top_k) // p.shape[0] for n, p in model.named_parameters() if ".experts." in n)
    return total, total - idle


@pytest.mark.parametrize("folder", sorted(FOLDERS))
def test_published_config_total_active_and_tensors_equal_transformers(folder, tmp_path, capsys):
    path = CONFIGS / folder / "config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    row = ROW[data["model_type"]]
    cls = (data.get("architectures") or [row.classes[0]])[0]
    reference = Reference(row, {**data, "architectures": [cls]})
    expected = _expected(reference, FOLDERS[folder])
    (model,) = registry.load(path)
    report = registry.count(model)
    assert (report.total_params, report.active_params) == expected
    if FOLDERS[folder]:
        assert report.active_params < report.total_params
    shapes, sizes = in_memory(row, cls, {t.path: t.shape for t in registry.iter_tensors(model.architecture)})
    theirs = reference.names()
    assert set(shapes) == set(theirs)
    for name, shape in shapes.items():
        assert shape == theirs[name] if shape is not None else sizes[name] == math.prod(theirs[name]), name
    spec = tmp_path / "imported.toml"
    assert main(["import-hf", str(path), "-o", str(spec)]) == 0
    imported = registry.count(registry.load(spec)[0])
    assert (imported.total_params, imported.active_params) == expected
    capsys.readouterr()


def test_minicpm3_has_no_experts_and_a_dense_mlp_in_every_layer():
    """MiniCPM3 on the deepseek-v2 family without experts: no routed or shared expert anywhere."""
    (model,) = registry.load(CONFIGS / "minicpm3-4b" / "config.json")
    names = [t.path for t in registry.iter_tensors(model.architecture)]
    assert not [n for n in names if "experts" in n]
    assert sum(n.endswith("mlp.gate_proj.weight") for n in names) == 62


def test_a_hunyuan_dense_gguf_counts_as_its_config(tmp_path, capsys):
    """llama.cpp's hunyuan-dense (metadata and tensor names as its converter writes them) counts as transformers'
    HunYuanDenseV1ForCausalLM of the same shapes, and every tensor maps to a checkpoint name of the spec."""
    gguf = pytest.importorskip("gguf")
    np = pytest.importorskip("numpy")
    layers, d, ff, vocab, heads, kv, head_dim = 2, 64, 96, 100, 4, 2, 32  # head_dim != d / heads
    shapes = {"token_embd.weight": (vocab, d), "output_norm.weight": (d,), "output.weight": (vocab, d)}
    for i in range(layers):
        shapes |= {f"blk.{i}.attn_norm.weight": (d,), f"blk.{i}.ffn_norm.weight": (d,),
                   f"blk.{i}.attn_q.weight": (heads * head_dim, d), f"blk.{i}.attn_k.weight": (kv * head_dim, d),
                   f"blk.{i}.attn_v.weight": (kv * head_dim, d), f"blk.{i}.attn_output.weight": (d, heads * head_dim),
                   f"blk.{i}.attn_q_norm.weight": (head_dim,), f"blk.{i}.attn_k_norm.weight": (head_dim,),
                   f"blk.{i}.ffn_gate.weight": (ff, d), f"blk.{i}.ffn_up.weight": (ff, d), f"blk.{i}.ffn_down.weight": (d, ff)}
    path = tmp_path / "hunyuan.gguf"
    writer = gguf.GGUFWriter(str(path), "hunyuan-dense")
    writer.add_block_count(layers)
    writer.add_embedding_length(d)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(heads)
    writer.add_head_count_kv(kv)
    writer.add_key_length(head_dim)
    writer.add_value_length(head_dim)
    for name, shape in shapes.items():
        writer.add_tensor(name, np.zeros(shape, dtype=np.float32))
    writer.write_header_to_file(path)
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    assert main(["count", str(path), "-f", "json"]) == 0
    (report,) = json.loads(capsys.readouterr().out)
    fields = dict(vocab_size=vocab, hidden_size=d, intermediate_size=ff, num_hidden_layers=layers,
                  num_attention_heads=heads, num_key_value_heads=kv, head_dim=head_dim, tie_word_embeddings=False)
    reference = Reference(ROW["hunyuan_v1_dense"], {"architectures": ["HunYuanDenseV1ForCausalLM"], **fields})
    assert report["total_params"] == sum(p.numel() for p in reference.model.parameters()) == sum(
        math.prod(s) for s in shapes.values())
    assert report["checkpoint"]["identical"]


def test_hunyuan_moe_per_layer_top_k_equals_transformers(tmp_path):
    """A ``moe_topk`` list whose values differ: transformers' HunYuanMoEV1Gate reads ``moe_topk[layer_idx]``,
    so each layer's routed experts count top_k of its own (reference: each layer's ``mlp.experts`` tensors
    scaled by that layer's ``mlp.gate.top_k`` / ``num_experts``, on the meta device)."""
    data = {"architectures": ["HunYuanMoEV1ForCausalLM"], "model_type": "hunyuan_v1_moe", "hidden_size": 64,
            "intermediate_size": 32, "num_hidden_layers": 5, "num_attention_heads": 4, "num_key_value_heads": 2,
            "head_dim": 16, "vocab_size": 100, "num_experts": 4, "moe_topk": [1, 2, 2, 4, 1, 3]}  # fmt: skip
    reference = Reference(ROW["hunyuan_v1_moe"], data)
    model = reference.model
    total = sum(p.numel() for p in model.parameters())
    idle = sum(p.numel() * (4 - layer.mlp.gate.top_k) // 4
               for layer in model.model.layers for p in layer.mlp.experts.parameters())  # fmt: skip
    assert [layer.mlp.gate.top_k for layer in model.model.layers] == [1, 2, 2, 4, 1]
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    report = registry.count(registry.load(path)[0])
    assert (report.total_params, report.active_params) == (total, total - idle)
    ours = {t.path: t.shape for t in iter_tensors(registry.load(path)[0].architecture)}
    theirs = {n: tuple(p.shape) for n, p in model.named_parameters()}
    assert {n for n in ours if ".experts." not in n} == {n for n in theirs if ".experts." not in n}
