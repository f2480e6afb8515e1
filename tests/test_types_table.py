"""Every mapped model type (one row each in tests/types_table.py) against transformers.

References, all transformers 5 models built on the meta device from the very config.json
registry reads (``<Type>Config.from_dict``, as ``from_pretrained`` reads it; nothing is
allocated or downloaded):

* total: ``sum(p.numel() for p in model.parameters())`` (ties once);
* total with ties: ``named_parameters(remove_duplicate=False)`` (every use), a tied decoder bias
  that transformers lists under a second name counted once (checkpoints store it once), and
  ALBERT's shared layer groups at each of their uses (counted by a forward pass with hooks);
* active (MoE): the total with the routed experts' parameters (``.experts.`` in the name, or
  the row's ``routed``) scaled by top_k / n_experts;
* tensor names and shapes: ``named_parameters(remove_duplicate=False)``, after the row's renames
  of registry's checkpoint names into transformers 5's in-memory names (fused experts compared
  by their number of elements, as are tensors a rename concatenates; zero-element tensors hold nothing and are left out; a shared block
  the row's ``names_once`` names, Zamba2's, at its first use only, as registry holds it).

The reference's code is tests/type_reference.py.

Each example is written either as drawn (transformers' defaults for the rest) or as
transformers writes it (``to_dict()``), with up to two fields left out. A config transformers
refuses (or builds but could not run: key/value heads that do not divide the heads, top-k above
the experts) is refused by registry with one line and exit status 2; any other is counted
exactly by ``registry count config.json`` and by ``import-hf`` then ``count``. A row's fixed
``cases`` are checked the same way, written as transformers writes them, and must be built.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import registry
from registry.cli import main
from registry.errors import SpecError
from registry.plugin_manager import load_model_types
from registry.sources.hf_config import import_config
from tests._hf_configs import quiet_transformers
from tests.conftest import ROOT, without_prefix
from tests.type_ranges import Row, draw_fields
from tests.type_reference import Reference, in_memory, refusals, runnable
from tests.types_table import REMOTE_CODE, ROWS

pytestmark = pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")

ROW = {row.model_type: row for row in ROWS}
CONFIGS = ROOT / "tests" / "configs"


#: Model types checked by a file of their own: composites and their towers, whole and by part,
#: published and random small configs (the table's rows hold one config class each).
CHECKED_ELSEWHERE = {
    **{t: "tests/test_composite.py" for t in ("aya_vision", "gemma3", "llava", "llava_next", "mistral3", "paligemma", "pixtral")},
    **{t: "tests/test_qwen_vl.py" for t in ("qwen2_vl", "qwen2_5_vl", "qwen3_vl", "qwen3_vl_moe", "qwen3_5", "qwen3_5_moe")},
    **{t: "tests/test_qwen_vision.py" for t in ("qwen2_vl_vision", "qwen2_5_vl_vision", "qwen3_vl_vision",
                                                 "qwen3_vl_moe_vision", "qwen3_5_vision", "qwen3_5_moe_vision")},
    **{t: "tests/test_composite_xattn.py" for t in ("llama4", "llama4_vision_model", "mllama", "mllama_text_model",
                                                      "mllama_vision_model", "voxtral", "voxtral_encoder")},
    **{t: "tests/test_composite_more.py" for t in ("exaone4_5", "exaone4_5_vision", "idefics3", "idefics3_vision",
                                                      "internvl", "internvl_vision", "lfm2_vl", "siglip2_vision_model", "smolvlm",
                                                      "smolvlm_vision")},
    **{t: "tests/test_phi4mm.py" for t in ("phi4_multimodal", "phi4_multimodal_vision", "phi4_multimodal_audio", "phi4mm")},
    **{t: "tests/test_composite_gemma3n.py" for t in ("gemma3n", "gemma3n_audio", "gemma3n_vision")},
    **{t: "tests/test_glm4v.py" for t in ("glm4v", "glm4v_moe", "glm4v_vision", "glm4v_moe_vision")},
    **{t: "tests/test_glm_ocr.py" for t in ("glm_ocr", "glm_ocr_vision")},
    **{t: "tests/test_minimax_m3.py" for t in ("minimax_m3_vl", "minimax_m3_vl_vision")},
    **{t: "tests/test_kimi_k25.py" for t in ("kimi_k25", "kimi_k25_vision")},
    **{t: "tests/test_composite_gemma4.py" for t in ("gemma4", "gemma4_audio", "gemma4_vision")},
    **{t: "tests/test_speech_more.py" for t in ("qwen2_audio", "qwen2_audio_encoder")},
    **{t: "tests/test_qwen_omni.py" for t in ("qwen2_5_omni", "qwen2_5_omni_audio_encoder", "qwen2_5_omni_vision_encoder",
                                              "qwen2_5_omni_text", "qwen2_5_omni_talker", "qwen2_5_omni_dit",
                                              "qwen2_5_omni_bigvgan")},
    **{t: "tests/test_qwen3_asr.py" for t in ("qwen3_asr", "qwen3_asr_encoder")},
    **{t: "tests/test_speech_2026b.py" for t in ("granite_speech", "granite_speech_encoder", "granite_speech_plus",
                                                       "granite_speech_plus_encoder")},
    **{t: "tests/test_audio_gen.py" for t in ("csm", "musicgen", "musicgen_melody")},
    **{t: "tests/test_speech_2026c.py" for t in ("bark", "clap", "clap_audio_model", "clap_text_model", "clvp",
                                                      "clvp_decoder", "clvp_encoder", "glmasr", "glmasr_encoder")},
    **{t: "tests/test_vlm_types_more.py" for t in ("llava_next_video",)},
    **{t: "tests/test_sam3.py" for t in ("sam3", "sam3_video", "sam3_vision_model", "sam3_geometry_encoder", "sam3_detr_encoder",
                                         "sam3_detr_decoder", "sam3_mask_decoder")},
    **{t: "tests/test_wrappers.py" for t in ("encoder-decoder", "speech-encoder-decoder", "trocr", "vision-encoder-decoder",
                                                "vision-text-dual-encoder")},
    **{t: "tests/test_vlm_types_2026.py" for t in ("cohere2_vision", "llava_onevision", "paddleocr_vl", "paddleocr_vl_text",
                                                    "paddleocr_vl_vision", "video_llava", "vipllava")},
    **{t: "tests/test_vlm_types_2026c.py" for t in ("aria", "aria_text", "deepseek_vl", "fuyu", "ovis2", "ovis2_vision",
                                                     "video_llama_3", "video_llama_3_vision", "deepseek_vl_hybrid",
                                                     "got_ocr2", "got_ocr2_vision", "sam_vision_model", "janus",
                                                     "janus_vision_model", "janus_vqgan", "minicpmv4_6", "minicpmv4_6_vision")},
    "modernvbert": "tests/test_composite_modernvbert.py",
    **{t: "tests/test_vlm_classic2.py" for t in ("kosmos-2.5", "kosmos_2_5_text_model", "kosmos_2_5_vision_model",
                                                     "glm_image", "glm_image_text", "glm_image_vision", "glm_image_vqmodel",
                                                     "pix2struct", "pix2struct_text_model", "pix2struct_vision_model")},
    **{t: "tests/test_types_paddle_2026.py" for t in ("pp_chart2table", "pp_chart2table_vision", "pp_formulanet",
                                                      "pp_formulanet_text", "pp_formulanet_vision")},
    "flava": "tests/test_flava.py",
    "pe_audio_video": "tests/test_pe_audio_video.py",
    "fast_vlm": "tests/test_fast_vlm.py",
}  # fmt: skip


def test_every_mapped_model_type_has_a_row():
    built_in = {name for name, m in load_model_types().items.items() if m.origin.startswith("built-in")}
    assert sorted(ROW) == sorted(built_in - REMOTE_CODE - set(CHECKED_ELSEWHERE))
    assert not set(ROW) & set(CHECKED_ELSEWHERE), "a type in the table needs no file of its own"
    assert [row.model_type for row in ROWS] == sorted(ROW), "keep the rows in alphabetical order"


# --------------------------------------------------------------------------- random small configs


@st.composite
def examples(draw, row: Row):
    """(class, fields drawn, written as transformers writes it?, fields then left out)."""
    fields = draw_fields(draw, row.fields)
    full = draw(st.booleans())
    drop = draw(st.sets(st.sampled_from(row.droppable), max_size=2)) if full and row.droppable else set()
    return draw(st.sampled_from(row.classes)), fields, full, drop


def _config_json(row: Row, cls: str, fields: dict, full: bool, drop: set) -> dict:
    data = {"model_type": row.model_type, "architectures": [cls], **fields}
    if full:
        transformers = quiet_transformers()
        try:
            config = transformers.AutoConfig.for_model(row.model_type, **data)
            data = json.loads(json.dumps(config.to_dict(), default=str))
        except refusals():
            pass  # transformers refuses the fields: written as drawn, and registry must refuse them too
    return {k: v for k, v in data.items() if k not in drop}


def _refused_in_one_line(path: Path) -> str | None:
    """The problem when ``registry count`` refuses ``path`` as it should (exit 2, one line)."""
    out, err = _run("count", str(path))
    lines = err.strip().splitlines()
    assert out[0] == 2 and out[1] == "" and len(lines) == 1 and str(path) in lines[0], (out, err)
    return lines[0]


def _run(*argv: str) -> tuple[tuple[int, str], str]:
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return (status, out.getvalue()), err.getvalue()


def check_example(row: Row, tmp: Path, cls: str, fields: dict, full: bool, drop: set) -> bool:
    """Refused by both, or counted alike (and then True)."""
    data = _config_json(row, cls, fields, full, drop)
    path = tmp / "config.json"
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    try:
        reference = Reference(row, data)
        expected = reference.counts() if runnable(row, reference.config) else None
    except refusals():
        expected = None
    if expected is None:  # transformers refuses it (or could not run it): so does registry
        _refused_in_one_line(path)
        return False
    try:
        (model,) = registry.load(path)
    except SpecError as exc:
        pytest.fail(f"refused a config transformers builds: {exc}\n{json.dumps(data)}")
    report = registry.count(model)
    assert (report.total_params, report.active_params, report.total_with_ties) == expected, json.dumps(data)
    if full and row.all_fields_known:
        assert not [w for w in model.warnings if "ignored" in w], model.warnings  # every field written is known
    shapes, sizes = in_memory(row, cls, {t.path: t.shape for t in registry.iter_tensors(model.architecture)})
    theirs = reference.names()
    assert set(shapes) == set(theirs), json.dumps(data)
    for name, shape in shapes.items():
        assert shape == theirs[name] if shape is not None else sizes[name] == math.prod(theirs[name]), name
    spec = tmp / "imported.toml"
    assert main(["import-hf", str(path), "-o", str(spec), "--force"]) == 0
    imported = registry.count(registry.load(spec)[0])
    assert (imported.total_params, imported.active_params, imported.total_with_ties) == expected
    return True


@pytest.mark.parametrize("model_type", sorted(ROW))
def test_random_small_configs_match_transformers(tmp_path_factory, model_type):
    quiet_transformers()
    row = ROW[model_type]

    @settings(max_examples=row.examples, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                     HealthCheck.filter_too_much])  # fmt: skip
    @given(example=examples(row))
    def check(example):
        check_example(row, tmp_path_factory.mktemp("cfg"), *example)

    check()


def _cases():
    for row in ROWS:
        for i, case in enumerate(row.cases):
            fields = {k: v for k, v in case.items() if k != "architectures"}
            for cls in case.get("architectures", row.classes):
                yield pytest.param(row, cls, fields, id=f"{row.model_type}-{i}-{cls}")


@pytest.mark.parametrize("row, cls, fields", list(_cases()))
def test_fixed_configs_match_transformers(tmp_path, row, cls, fields):
    """A row's ``cases`` (every optional tensor switched on, a variant named), written as transformers
    writes them: built by transformers and counted alike."""
    quiet_transformers()
    assert check_example(row, tmp_path, cls, fields, True, set()), "transformers refuses the case"


# --------------------------------------------------------------------------- refusals


def _refusal_cases():
    for row in ROWS:
        for i, refusal in enumerate(row.refusals):
            yield pytest.param(row, refusal, id=f"{row.model_type}-{refusal.field}-{i}")


def _base(row: Row) -> dict:
    if isinstance(row.refusal_base, str):  # a published config (its quantization_config changes no shape)
        data = json.loads((CONFIGS / row.refusal_base / "config.json").read_text(encoding="utf-8"))
        data.pop("quantization_config", None)
        return data
    return {"model_type": row.model_type, **row.refusal_base}


def _changed(data: dict, change: dict) -> dict:
    data = json.loads(json.dumps(data))
    for key, value in change.items():
        parent, _, child = key.partition(".")
        if child:
            data[parent] = {**data.get(parent, {}), child: value}
        else:
            data[key] = value
    return data


def _line_of(path: Path, key: str) -> int:
    return next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.strip().startswith(f'"{key}"'))


@pytest.mark.parametrize("row, refusal", list(_refusal_cases()))
def test_refusals_name_the_field(tmp_path, row, refusal):
    """One line naming the file and the field (a nested one at its table's line), exit status 2, by
    ``count`` and ``import-hf``; nothing on stdout."""
    path = tmp_path / "config.json"
    path.write_text(json.dumps(_changed(_base(row), refusal.change), indent=2), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        import_config(path)
    assert info.value.location == refusal.field and refusal.words in info.value.message
    for command in ("count", "import-hf"):
        (status, out), err = _run(command, str(path))
        lines = without_prefix(err, command).strip().splitlines()
        assert status == 2 and out == "" and len(lines) == 1, err
        assert lines[0].startswith(f"{path}:") and f": {refusal.field}: " in lines[0], lines[0]
        if "." in refusal.field:
            assert f":{_line_of(path, refusal.field.split('.')[0])}: " in lines[0]
