"""``registry verify`` on checkpoints stored under their authors' names (``CheckpointNames.renames`` and ``splits``).

DeepSeek-V4 and Kimi K2.5 publish checkpoints whose names transformers 5.25 converts on loading
(``transformers/conversion_mapping.py``, entries "deepseek_v4" and "kimi_k25"). The checkpoints here are
made from transformers' own model of a small config, built on the meta device, each tensor saved under
the name the published checkpoint gives it:

* the stored names are transformers' names with the conversion mapping applied in reverse (the experts'
  stacked ``gate_up_proj`` / ``down_proj`` split back per expert into ``w1``, ``w3``, ``w2``; Kimi's
  ``q_proj``, ``k_proj``, ``v_proj`` joined into ``wqkv``), and each is checked to load back under
  transformers' name by transformers' own renaming (``core_model_loading.rename_source_key``): the
  mapping is the reference;
* every stored name, its numbers replaced by ``N``, is one of the published checkpoints' name families:
  DeepSeek-V4-Flash's ``model.safetensors.index.json`` (69,187 tensors) as an engineering log on GitHub
  lists them (code index id 59368543979, the one tests/configs/deepseek-v4-flash/SOURCE cites), and
  moonshotai/Kimi-K2.5's tensor list as a model report prints it (code index id 62530201892, cited by
  tests/configs/kimi-k2.5/SOURCE). The full index files were not found; the families are.

Shapes are transformers' (its fused tensors cut per expert or per projection), never our own output.
"""

from __future__ import annotations

import json
import re

import pytest

from registry.checkpoints import TensorInfo
from registry.checkpoints.verify import compare
from registry.sources.loading import load
from tests._hf_configs import quiet_transformers

#: DeepSeek-V4-Flash's name families as the engineering log lists them from the published index
#: (``N`` a number; the ``.scale`` tensors of its FP8 weights left out: these checkpoints are not quantized).
V4_FAMILIES = {
    "embed.weight", "head.weight", "norm.weight", "hc_head_base", "hc_head_fn", "hc_head_scale",
    "layers.N.attn.attn_sink", "layers.N.attn.q_norm.weight", "layers.N.attn.kv_norm.weight",
    *(f"layers.N.attn.{w}.weight" for w in ("wq_a", "wq_b", "wkv", "wo_a", "wo_b")),
    *(f"layers.N.attn.compressor.{w}" for w in ("ape", "norm.weight", "wgate.weight", "wkv.weight")),
    *(f"layers.N.attn.indexer.compressor.{w}" for w in ("ape", "norm.weight", "wgate.weight", "wkv.weight")),
    "layers.N.attn.indexer.weights_proj.weight", "layers.N.attn.indexer.wq_b.weight",
    *(f"layers.N.ffn.experts.N.{w}.weight" for w in ("w1", "w2", "w3")),
    "layers.N.ffn.gate.weight", "layers.N.ffn.gate.bias", "layers.N.ffn.gate.tid2eid",
    *(f"layers.N.ffn.shared_experts.{w}.weight" for w in ("w1", "w2", "w3")),
    "layers.N.attn_norm.weight", "layers.N.ffn_norm.weight",
    *(f"layers.N.hc_{s}_{p}" for s in ("attn", "ffn") for p in ("base", "fn", "scale")),
}  # fmt: skip

#: transformers' names -> the published ones: the "deepseek_v4" conversion mapping read backwards, in order.
V4_BACK = (
    (r"^model\.embed_tokens\.", "embed."), (r"^lm_head\.", "head."), (r"^model\.hc_head\.hc_", "hc_head_"),
    (r"^model\.", ""), (r"\.self_attn\.sinks$", ".attn.attn_sink"),
    (r"\.compressor\.indexer\.scorer\.weights_proj\.", ".indexer.weights_proj."),
    (r"\.compressor\.indexer\.q_b_proj\.", ".indexer.wq_b."), (r"\.compressor\.indexer\.", ".indexer.compressor."),
    (r"\.self_attn\.", ".attn."), (r"\.mlp\.", ".ffn."), (r"\.input_layernorm\.", ".attn_norm."),
    (r"\.post_attention_layernorm\.", ".ffn_norm."), (r"\.(attn|ffn)_hc\.", r".hc_\1_"),
    (r"\.kv_norm\.", ".norm."), (r"\.attn\.norm\.", ".attn.kv_norm."), (r"\.position_bias$", ".ape"),
    (r"\.q_a_proj\.", ".wq_a."), (r"\.q_b_proj\.", ".wq_b."), (r"\.kv_proj\.", ".wkv."), (r"\.gate_proj\.", ".wgate."),
    (r"\.o_a_proj\.", ".wo_a."), (r"\.o_b_proj\.", ".wo_b."), (r"\.q_a_norm\.", ".q_norm."),
    (r"\.gate\.e_score_correction_bias$", ".gate.bias"), (r"\.shared_experts\.wgate\.", ".shared_experts.w1."),
    (r"\.shared_experts\.up_proj\.", ".shared_experts.w3."), (r"\.shared_experts\.down_proj\.", ".shared_experts.w2."),
)  # fmt: skip

DTYPES = {"torch.int64": "I64", "torch.int32": "I32"}


def _back(name: str, rules) -> str:
    for pattern, new in rules:
        name = re.sub(pattern, new, name, count=1)
    return name


def _mapping(model_type: str):
    """transformers' renamings and converters for ``model_type``."""
    from transformers.conversion_mapping import get_checkpoint_conversion_mapping
    from transformers.core_model_loading import WeightConverter

    transforms = get_checkpoint_conversion_mapping(model_type)
    return ([t for t in transforms if not isinstance(t, WeightConverter)],
            [t for t in transforms if isinstance(t, WeightConverter)])  # fmt: skip


def _loads_as(stored: str, mapping, model_prefix: str, meta: dict) -> str:
    """The name transformers loads the stored tensor ``stored`` under."""
    from transformers.core_model_loading import rename_source_key

    renamings, converters = mapping
    return rename_source_key(stored, renamings, converters, model_prefix, meta)[0]


def _v4():
    """A small DeepSeek-V4 (two hash-routed sliding layers, a CSA and an HCA layer) on the meta device."""
    import torch

    transformers = quiet_transformers()
    config = transformers.DeepseekV4Config(
        hidden_size=64, num_attention_heads=4, head_dim=32, q_lora_rank=16, o_groups=2, o_lora_rank=8,
        index_n_heads=2, index_head_dim=16, num_hidden_layers=4, compress_ratios=[0, 0, 4, 128, 0], vocab_size=100,
        n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=24, num_hash_layers=2, qk_rope_head_dim=8,
    )  # fmt: skip
    with torch.device("meta"):
        model = transformers.DeepseekV4ForCausalLM(config)
    return config, model


def _v4_checkpoint(model) -> list[TensorInfo]:
    """transformers' state dict of ``model`` under the published names, each checked to load back as transformers'."""
    state = model.state_dict()
    mapping = _mapping("deepseek_v4")
    stored: list[TensorInfo] = []
    for name, tensor in state.items():
        shape = tuple(tensor.shape)
        dtype = DTYPES.get(str(tensor.dtype), "BF16")
        expert = re.fullmatch(r"(.*)\.experts\.(gate_up_proj|down_proj)", name)
        if expert is None:
            parts = [(_back(name, V4_BACK), shape)]
        else:
            base = _back(expert.group(1) + ".", V4_BACK)[:-1]
            if expert.group(2) == "gate_up_proj":  # (E, 2F, D): each expert's w1 then w3, (F, D) each
                n, two_f, d = shape
                parts = [(f"{base}.experts.{e}.{w}.weight", (two_f // 2, d)) for e in range(n) for w in ("w1", "w3")]
            else:  # (E, D, F): each expert's w2
                parts = [(f"{base}.experts.{e}.w2.weight", shape[1:]) for e in range(shape[0])]
        for stored_name, part_shape in parts:
            assert _loads_as(stored_name, mapping, "model", state) == name, stored_name
            assert re.sub(r"\.\d+\.", ".N.", re.sub(r"\.\d+\.", ".N.", stored_name)) in V4_FAMILIES, stored_name
            stored.append(TensorInfo(stored_name, dtype, part_shape, 0))
    return stored


def _model(config, tmp_path):
    path = tmp_path / "config.json"
    path.write_text(config.to_json_string())
    return load(str(path))[0]


def test_deepseek_v4_published_names_verify_clean(tmp_path):
    config, reference = _v4()
    stored = _v4_checkpoint(reference)
    result = compare(_model(config, tmp_path), stored)
    assert result.identical, (result.missing[:5], result.extra[:5], result.mismatched[:5])
    params = {n for n, _ in reference.named_parameters()}
    assert result.counts["matched"] == len(stored) - (len(reference.state_dict()) - len(params))
    assert {e.checkpoint.rsplit(".", 1)[-1] for e in result.ignored} == {"tid2eid", "bias"}
    assert all(e.note == "buffer" for e in result.ignored)


def test_deepseek_v4_wrong_shape_is_reported(tmp_path):
    config, reference = _v4()
    stored = [TensorInfo(t.name, t.dtype, (t.shape[0], t.shape[1] + 1), 0)
              if t.name in ("layers.2.ffn.experts.3.w2.weight", "layers.0.attn.wq_a.weight") else t
              for t in _v4_checkpoint(reference)]  # fmt: skip
    result = compare(_model(config, tmp_path), stored)
    assert {(e.name, e.checkpoint) for e in result.mismatched} == {
        ("model.layers.2.mlp.experts.3.down_proj.weight", "layers.2.ffn.experts.3.w2.weight"),
        ("model.layers.0.self_attn.q_a_proj.weight", "layers.0.attn.wq_a.weight")}
    assert not result.missing and not result.extra


#: moonshotai/Kimi-K2.5's name families as the model report lists them (its routed experts are stored int4-packed,
#: ``weight_packed`` / ``weight_scale`` / ``weight_shape``: here each expert's plain ``weight``).
KIMI_FAMILIES = {
    "language_model.lm_head.weight", "language_model.model.embed_tokens.weight", "language_model.model.norm.weight",
    *(f"language_model.model.layers.N.{w}.weight" for w in (
        "input_layernorm", "post_attention_layernorm", "self_attn.kv_a_layernorm", "self_attn.kv_a_proj_with_mqa",
        "self_attn.kv_b_proj", "self_attn.o_proj", "self_attn.q_a_layernorm", "self_attn.q_a_proj", "self_attn.q_b_proj",
        "mlp.down_proj", "mlp.gate_proj", "mlp.up_proj", "mlp.experts.N.down_proj", "mlp.experts.N.gate_proj",
        "mlp.experts.N.up_proj", "mlp.gate", "mlp.shared_experts.down_proj", "mlp.shared_experts.gate_proj",
        "mlp.shared_experts.up_proj")),
    "language_model.model.layers.N.mlp.gate.e_score_correction_bias",
    *(f"mm_projector.{m}.{p}" for m in ("pre_norm", "proj.N") for p in ("weight", "bias")),  # proj.0, proj.2
    *(f"vision_tower.encoder.blocks.N.{m}.{p}" for m in ("mlp.fc0", "mlp.fc1", "norm0", "norm1", "wo", "wqkv")
      for p in ("weight", "bias")),
    "vision_tower.encoder.final_layernorm.weight", "vision_tower.encoder.final_layernorm.bias",
    "vision_tower.patch_embed.pos_emb.weight", "vision_tower.patch_embed.proj.weight", "vision_tower.patch_embed.proj.bias",
}  # fmt: skip

#: transformers' names -> the published ones: the "kimi_k25" conversion mapping read backwards.
KIMI_BACK = (
    (r"^lm_head\.", "language_model.lm_head."), (r"^model\.language_model\.", "language_model.model."),
    (r"^model\.mm_projector\.in_proj\.", "mm_projector.proj.0."), (r"^model\.mm_projector\.out_proj\.", "mm_projector.proj.2."),
    (r"^model\.mm_projector\.", "mm_projector."),
    (r"^model\.vision_tower\.patch_embed\.pos_emb\.position_embeddings$", "vision_tower.patch_embed.pos_emb.weight"),
    (r"^model\.vision_tower\.patch_embed\.", "vision_tower.patch_embed."),
    (r"^model\.vision_tower\.layers\.", "vision_tower.encoder.blocks."), (r"^model\.vision_tower\.", "vision_tower.encoder."),
    (r"\.norm1\.", ".norm0."), (r"\.norm2\.", ".norm1."), (r"\.mlp\.fc1\.", ".mlp.fc0."), (r"\.mlp\.fc2\.", ".mlp.fc1."),
    (r"\.attn\.proj\.", ".wo."),
)  # fmt: skip


def _kimi():
    """A small Kimi K2.5 (a DeepSeek-V3 text model with one dense and one MoE layer, MoonViT of two blocks)."""
    import torch

    transformers = quiet_transformers()
    text = {"model_type": "deepseek_v3", "hidden_size": 32, "intermediate_size": 48, "moe_intermediate_size": 16,
            "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 2, "n_routed_experts": 4,
            "num_experts_per_tok": 2, "n_shared_experts": 1, "first_k_dense_replace": 1, "kv_lora_rank": 8,
            "q_lora_rank": 12, "qk_nope_head_dim": 8, "qk_rope_head_dim": 4, "v_head_dim": 8, "vocab_size": 97,
            "n_group": 1, "topk_group": 1, "topk_method": "noaux_tc"}  # fmt: skip
    vision = {"model_type": "kimi_k25_vision", "hidden_size": 16, "num_attention_heads": 2, "intermediate_size": 20,
              "num_hidden_layers": 2, "patch_size": 4, "pos_emb_height": 4, "pos_emb_width": 4, "merge_kernel_size": [2, 2]}
    config = transformers.Kimi_K25Config(text_config=text, vision_config=vision, projection_hidden_size=16,
                                         tie_word_embeddings=False, architectures=["Kimi_K25ForConditionalGeneration"])
    with torch.device("meta"):
        model = transformers.Kimi_K25ForConditionalGeneration(config)
    return config, model


def _kimi_checkpoint(model) -> list[TensorInfo]:
    """transformers' state dict of ``model`` under the published names (q, k, v joined into ``wqkv``, the experts
    one tensor per projection), each checked to load back as transformers' name."""
    state = model.state_dict()
    mapping = _mapping("kimi_k25")
    stored: dict[str, tuple[str, tuple[int, ...]]] = {}  # stored name -> (transformers' name, shape)
    for name, tensor in state.items():
        shape = tuple(tensor.shape)
        expert = re.fullmatch(r"(.*)\.experts\.(gate_up_proj|down_proj)", name)
        qkv = re.fullmatch(r"(.*)\.attn\.([qkv])_proj\.(weight|bias)", name)
        if expert is not None:
            base = _back(expert.group(1) + ".", KIMI_BACK)[:-1]
            if expert.group(2) == "gate_up_proj":  # (E, 2F, D): gate then up
                n, two_f, d = shape
                for e in range(n):
                    for w in ("gate_proj", "up_proj"):
                        stored[f"{base}.experts.{e}.{w}.weight"] = (name, (two_f // 2, d))
            else:
                for e in range(shape[0]):
                    stored[f"{base}.experts.{e}.down_proj.weight"] = (name, shape[1:])
        elif qkv is not None:  # rows of q, then k, then v
            key = _back(qkv.group(1) + ".", KIMI_BACK) + f"wqkv.{qkv.group(3)}"
            first, rows = stored.get(key, (name, (0, *shape[1:])))
            stored[key] = (first, (rows[0] + shape[0], *shape[1:]))
        else:
            stored[_back(name, KIMI_BACK)] = (name, shape)
    for stored_name, (name, _shape) in stored.items():
        assert _loads_as(stored_name, mapping, "model", state) == name, stored_name
        assert re.sub(r"\.\d+\.", ".N.", re.sub(r"\.\d+\.", ".N.", stored_name)) in KIMI_FAMILIES, stored_name
    return [TensorInfo(n, "F32" if n.endswith("e_score_correction_bias") else "BF16", shape, 0)
            for n, (_name, shape) in stored.items()]  # fmt: skip


def test_kimi_k25_published_names_verify_clean(tmp_path):
    config, reference = _kimi()
    stored = _kimi_checkpoint(reference)
    result = compare(_model(config, tmp_path), stored)
    assert result.identical, (result.missing[:5], result.extra[:5], result.mismatched[:5])
    assert {e.note for e in result.matched if "wqkv" in (e.checkpoint or "")} == {
        f"part {k} of 3 of vision_tower.encoder.blocks.{i}.wqkv.{p}" for k in (1, 2, 3) for i in (0, 1)
        for p in ("weight", "bias")}  # fmt: skip


def test_deepseek_v4_mtp_tensors_are_set_aside(tmp_path):
    """The published index's ``mtp.0.*`` (the engineering log names e_proj, h_proj, enorm, attn, ffn with its
    experts, hc_*): declared checkpoint-only (num_nextn_predict_layers = 1), their shapes not checked."""
    from registry.checkpoints.verify import NOT_BUILT

    config, reference = _v4()
    mtp = [TensorInfo(f"mtp.0.{n}", "BF16", (2, 2), 0) for n in
           ("e_proj.weight", "h_proj.weight", "enorm.weight", "attn.wq_a.weight", "ffn.experts.0.w1.weight", "hc_attn_fn")]
    result = compare(_model(config, tmp_path), _v4_checkpoint(reference) + mtp)
    assert result.identical
    assert {e.name for e in result.ignored if e.note.startswith(NOT_BUILT)} == {t.name for t in mtp}


def test_kimi_k25_wrong_fused_shape_is_reported(tmp_path):
    config, reference = _kimi()
    bad = "vision_tower.encoder.blocks.1.wqkv.weight"
    stored = [TensorInfo(t.name, t.dtype, (t.shape[0] - 1, t.shape[1]), 0) if t.name == bad else t
              for t in _kimi_checkpoint(reference)]  # fmt: skip
    result = compare(_model(config, tmp_path), stored)
    assert not result.missing and not result.extra
    assert [(e.name, e.found, e.note) for e in result.mismatched] == [
        (f"model.vision_tower.layers.1.attn.{p}_proj.weight", (47, 16),
         f"part {k} of 3 of {bad}, which should be (48, 16)") for k, p in ((1, "q"), (2, "k"), (3, "v"))]


@pytest.mark.parametrize("names, message", [
    ({"renames": ((r"a(", "b"),)}, "checkpoint_names: the rule 'a(' is refused: missing )"),
    ({"renames": ((r"a", r"b\1"),)}, r"checkpoint_names: the rule 'a' is refused: invalid group reference 1"),
    ({"splits": ((r"\.wqkv\.", ()),)}, r"checkpoint_names: the split '\\.wqkv\\.' names no parts"),
    ({"renames": (("a", "b", "c"),)}, "checkpoint_names: renames are (pattern, replacement) pairs"),
])  # fmt: skip
def test_bad_rules_are_refused_at_registration(names, message):
    from pydantic import BaseModel

    from registry import CheckpointNames, Family

    family = Family(name="x", params=BaseModel, build=lambda p: None, checkpoint_names=CheckpointNames(**names))
    assert message in family.problem()


def test_verify_and_count_of_a_model_folder_follow_the_names(tmp_path, capsys):
    """The commands read the same way: a folder (config.json, model.safetensors under Kimi K2.5's published names)
    verifies clean with ``registry verify`` and ``registry count DIR``, and a wrong shape fails both."""
    from registry.cli import main
    from tests.hub_server import safetensors_file

    config, reference = _kimi()
    stored = _kimi_checkpoint(reference)
    for bad in (False, True):
        folder = tmp_path / ("bad" if bad else "good")
        folder.mkdir()
        (folder / "config.json").write_text(config.to_json_string())
        tensors = {t.name: (t.dtype, (t.shape[0] + 1, *t.shape[1:]) if bad and t.name.endswith("blocks.0.wo.weight")
                            else t.shape) for t in stored}  # fmt: skip
        file = safetensors_file(tensors)
        (folder / "model.safetensors").write_bytes(file.head + bytes(file.size - len(file.head)))
        verify = main(["verify", str(folder / "config.json"), str(folder / "model.safetensors"), "--format", "json"])
        report = json.loads(capsys.readouterr().out)
        assert (verify == 0) != bad and report["identical"] != bad
        assert report["counts"]["mismatched"] == bad
        count = main(["count", str(folder)])
        out = capsys.readouterr().out
        assert (count == 0) != bad, out
