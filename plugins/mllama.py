"""Mllama (Llama 3.2 Vision): its vision encoder (``mllama-vision``) and its language model with
cross-attention layers (``mllama-text``), and the model types ``mllama_vision_model`` and ``mllama_text_model``.

transformers 5.25's ``modeling_mllama.py``:

* ``MllamaVisionModel``: a patch convolution without a bias (``patch_embedding``), a class token
  (``class_embedding``), a gated position embedding (``gated_positional_embedding``: ``gate``, one
  position per patch of an ``image_size²`` tile plus the class token, ``embedding``, and a
  ``tile_embedding`` of ``n_aspect_ratios + 1`` rows of ``max_num_tiles × positions × d_model``), gated
  aspect-ratio embeddings before and after the local layers (``pre_tile_positional_embedding``,
  ``post_tile_positional_embedding``: ``gate`` and ``n_aspect_ratios + 1`` rows of ``max_num_tiles ×
  d_model``), layer norms ``layernorm_pre``/``layernorm_post``, then ``transformer.layers`` (local) and
  ``global_transformer.layers`` (each with two gates, ``gate_attn`` and ``gate_ffn``): layer norms,
  attention without biases (heads of ``d_model // n_heads``), an MLP ``fc1``/``fc2`` with biases. The
  output concatenates the last layer's and the intermediate layers' features: the configuration's
  ``vision_output_dim``, the projector's input.
* ``MllamaTextModel`` under ``MllamaForCausalLM``: ``embed_tokens`` of ``vocab_size + 8`` rows (the
  image tokens), Llama layers, except those in ``cross_attention_layers``, which attend to the
  projected image features instead of the text (``cross_attn``: query, key, value, output
  projections and RMS norms of the query and key heads, ``q_norm``/``k_norm``) and gate both branches
  (``cross_attn_attn_gate``, ``cross_attn_mlp_gate``); ``lm_head`` of ``vocab_size`` rows, never tied.

Memory: a cross-attention layer caches the keys and values of the image features, not of the text:
``image_tokens`` of them (a composite sets it to ``max_num_tiles × ((image_size // patch_size)² + 1)``,
one image at the most tiles; the text model alone leaves it to ``--encoder-len``).
"""

from __future__ import annotations

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry import ConfigReader, Family, Params, Row, hookimpl, short_value
from registry.blocks import Attention, Embedding, FeedForward, FieldError, LayerNorm, Linear, Module, Parameter, Repeat, RMSNorm
from registry.plugins.common import FamilyParams
from registry.plugins.generated_defaults import DEFAULTS

_NAMES = {"q": "q_proj", "k": "k_proj", "v": "v_proj", "o": "o_proj"}
#: ``MllamaVisionConfig.__post_init__``'s aspect ratios and ``MllamaTextConfig``'s cross-attention layers.
DEFAULT_ASPECT_RATIOS = 8
DEFAULT_CROSS_LAYERS = [3, 8, 13, 18, 23, 28, 33, 38]


class MllamaVisionParams(FamilyParams):
    """Hyper-parameters of the ``mllama-vision`` family."""

    d_model: PositiveInt = Field(1280, description="hidden size")
    n_layers: PositiveInt = Field(32, description="local encoder layers (transformer.layers)")
    n_global_layers: NonNegativeInt = Field(8, description="gated global encoder layers (global_transformer.layers)")
    n_heads: PositiveInt = Field(16, description="attention heads (each d_model // n_heads wide)")
    d_ff: PositiveInt = Field(5120, description="the MLP's inner width")
    image_size: PositiveInt = Field(448, description="tile side in pixels (the learned positions cover it)")
    patch_size: PositiveInt = Field(14, description="patch side in pixels")
    n_channels: PositiveInt = Field(3, description="image channels")
    max_num_tiles: PositiveInt = Field(4, description="tiles an image is cut into at the most")
    n_aspect_ratios: PositiveInt = Field(8, description="supported aspect ratios (the tile embeddings have one more row)")

    @model_validator(mode="after")
    def _check(self) -> MllamaVisionParams:
        if self.d_model < self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) exceeds d_model ({self.d_model}): heads would be 0 wide")
        return self


def _vision_layer(p: MllamaVisionParams, gated: bool) -> list:
    d = p.d_model
    blocks = [
        Module(name="self_attn", blocks=[Attention(d_model=d, n_heads=p.n_heads, head_dim=d // p.n_heads, bias=False,
                                                   names=_NAMES, kv_cache="none")]),
        Module(name="mlp", blocks=[FeedForward(d_model=d, d_ff=p.d_ff, names={"up": "fc1", "down": "fc2"})]),
        LayerNorm(name="input_layernorm", dim=d),
        LayerNorm(name="post_attention_layernorm", dim=d),
    ]  # fmt: skip
    if gated:
        blocks += [Parameter(name="gate_attn", shape=(1,), component="attention"),
                   Parameter(name="gate_ffn", shape=(1,), component="feed_forward")]  # fmt: skip
    return blocks


def build_vision(p: MllamaVisionParams) -> Module:
    """The block tree of Mllama's vision encoder."""
    d, rows = p.d_model, p.n_aspect_ratios + 1
    positions = (p.image_size // p.patch_size) ** 2 + 1

    def tiles(name: str) -> Module:
        return Module(name=name, blocks=[Parameter(name="gate", shape=(1,), component="embedding"),
                                         Parameter(name="embedding.weight", shape=(rows, p.max_num_tiles * d), component="embedding")])  # fmt: skip

    blocks = [
        Parameter(name="class_embedding", shape=(d,), component="embedding"),
        Parameter(name="patch_embedding.weight", shape=(d, p.n_channels, p.patch_size, p.patch_size), component="embedding"),
        Module(name="gated_positional_embedding", blocks=[
            Parameter(name="gate", shape=(1,), component="embedding"),
            Parameter(name="embedding", shape=(positions, d), component="embedding"),
            Parameter(name="tile_embedding.weight", shape=(rows, p.max_num_tiles * positions * d), component="embedding")]),
        tiles("pre_tile_positional_embedding"),
        tiles("post_tile_positional_embedding"),
        LayerNorm(name="layernorm_pre", dim=d),
        LayerNorm(name="layernorm_post", dim=d),
        Module(name="transformer", blocks=[Repeat(name="layers", count=p.n_layers, blocks=_vision_layer(p, False))]),
    ]  # fmt: skip
    if p.n_global_layers:
        blocks.append(Module(name="global_transformer", blocks=[
            Repeat(name="layers", count=p.n_global_layers, blocks=_vision_layer(p, True))]))  # fmt: skip
    return Module(blocks=blocks)


class MllamaTextParams(FamilyParams):
    """Hyper-parameters of the ``mllama-text`` family."""

    vocab_size: PositiveInt = Field(128256, description="vocabulary (the embedding has 8 more rows: image tokens)")
    d_model: PositiveInt = Field(4096, description="hidden size")
    n_layers: PositiveInt = Field(40, description="decoder layers, cross-attention ones included")
    n_heads: PositiveInt = Field(32, description="attention heads (each d_model // n_heads wide)")
    n_kv_heads: PositiveInt = Field(8, description="key/value heads")
    d_ff: PositiveInt = Field(14336, description="the gated MLP's inner width")
    cross_attention_layers: list[NonNegativeInt] = Field(default_factory=lambda: list(DEFAULT_CROSS_LAYERS),
                                                         description="the layers that attend to the image instead of the text")  # fmt: skip
    image_tokens: PositiveInt | None = Field(None, description="image positions a cross-attention layer caches (memory)")
    lm_head: bool = Field(True, description="the language-modelling head (vocab_size rows, never tied)")

    @model_validator(mode="after")
    def _check(self) -> MllamaTextParams:
        if self.d_model < self.n_heads:
            raise FieldError("n_heads", f"n_heads ({self.n_heads}) exceeds d_model ({self.d_model}): heads would be 0 wide")
        if self.n_kv_heads > self.n_heads or self.n_heads % self.n_kv_heads:
            raise FieldError("n_kv_heads", f"n_kv_heads ({self.n_kv_heads}) must divide n_heads ({self.n_heads})")
        wrong = [i for i in self.cross_attention_layers if i >= self.n_layers]
        if wrong:
            raise FieldError("cross_attention_layers", f"layer {wrong[0]} is not below n_layers ({self.n_layers})")
        return self


def _runs(n_layers: int, cross: set[int]) -> list[tuple[bool, int, int, int]]:
    """The layers as runs (cross?, first, count, step): stretches of self-attention layers, cross layers each alone."""
    runs, start = [], 0
    for i in sorted(cross):
        if i > start:
            runs.append((False, start, i - start, 1))
        runs.append((True, i, 1, 1))
        start = i + 1
    if start < n_layers:
        runs.append((False, start, n_layers - start, 1))
    return runs


def build_text(p: MllamaTextParams) -> Module:
    """The block tree of Mllama's language model (``model``) and its head (``lm_head``)."""
    d, hd = p.d_model, p.d_model // p.n_heads
    mlp = Module(name="mlp", blocks=[FeedForward(d_model=d, d_ff=p.d_ff, gated=True, bias=False,
                                                 names={"gate": "gate_proj", "up": "up_proj", "down": "down_proj"})])  # fmt: skip
    norms = [RMSNorm(name="input_layernorm", dim=d), RMSNorm(name="post_attention_layernorm", dim=d)]
    own = [Module(name="self_attn", blocks=[Attention(d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=hd,
                                                      bias=False, names=_NAMES)]), mlp, *norms]  # fmt: skip
    cross = [
        Module(name="cross_attn", blocks=[Attention(d_model=d, n_heads=p.n_heads, n_kv_heads=p.n_kv_heads, head_dim=hd,
                                                    bias=False, qk_norm="head", names=_NAMES, kv_cache="encoder",
                                                    encoder_len=p.image_tokens)]),
        Parameter(name="cross_attn_attn_gate", shape=(1,), component="attention"),
        mlp, Parameter(name="cross_attn_mlp_gate", shape=(1,), component="feed_forward"), *norms,
    ]  # fmt: skip
    layers = [Repeat(name="layers", start=first, count=count, stride=step, blocks=cross if is_cross else own)
              for is_cross, first, count, step in _runs(p.n_layers, set(p.cross_attention_layers))]  # fmt: skip
    model = Module(name="model", blocks=[Embedding(name="embed_tokens", num_embeddings=p.vocab_size + 8, embedding_dim=d),
                                         *layers, RMSNorm(name="norm", dim=d)])  # fmt: skip
    blocks: list = [model]
    if p.lm_head:
        blocks.append(Linear(name="lm_head", in_features=d, out_features=p.vocab_size, bias=False, component="head"))
    return Module(blocks=blocks)


def _aspect_ratios(cfg: ConfigReader, cls: str, params: Params) -> None:
    """Rule: the tile embeddings have a row per supported aspect ratio (``supported_aspect_ratios``, pairs of whole
    numbers; null: ``MllamaVisionConfig``'s eight) and one more."""
    value = cfg.raw("supported_aspect_ratios")
    if value is None:
        params["n_aspect_ratios"] = ("supported_aspect_ratios", DEFAULT_ASPECT_RATIOS)
        return
    if not isinstance(value, list) or not value or not all(
            isinstance(r, list) and len(r) == 2 and all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in r)
            for r in value):  # fmt: skip
        raise cfg.error("supported_aspect_ratios", f"must be a non-empty list of [width, height] tile counts (got {short_value(value)})")
    params["n_aspect_ratios"] = ("supported_aspect_ratios", len(value))


def _cross_layers(cfg: ConfigReader, cls: str, params: Params) -> tuple[str, ...]:
    """Rule: ``cross_attention_layers`` null is ``MllamaTextConfig``'s default list; transformers builds a cross-attention
    layer at each index below ``num_hidden_layers`` (the others build nothing: said in a note)."""
    key, value = params.get("cross_attention_layers", ("cross_attention_layers", None))
    value = list(DEFAULT_CROSS_LAYERS) if value is None else value
    n = params["n_layers"][1]
    kept = sorted({i for i in value if 0 <= i < n})
    params["cross_attention_layers"] = (key, kept)
    dropped = sorted({i for i in value if not 0 <= i < n})
    if dropped:
        return (f"{cfg.path}: cross_attention_layers: {short_value(dropped)} are not layers of num_hidden_layers ({n}); "
                "transformers builds no layer for them",)  # fmt: skip
    return ()


VISION_ROW = Row(
    "mllama_vision_model", "mllama-vision", ("MllamaVisionModel",),
    reads={"d_model": "hidden_size", "n_layers": "num_hidden_layers", "n_global_layers": "num_global_layers",
           "n_heads": "attention_heads", "d_ff": "intermediate_size", "image_size": "image_size",
           "patch_size": "patch_size", "n_channels": "num_channels", "max_num_tiles": "max_num_tiles"},
    defaults=DEFAULTS["mllama_vision_model"], rules=(_aspect_ratios,),
    # vision_output_dim is the projector's input (read by the composite); the intermediate layers' indices
    # only choose which features are concatenated
    shape_free=frozenset(("hidden_act", "norm_eps", "intermediate_layers_indices", "vision_output_dim",
                          "supported_aspect_ratios")),
)  # fmt: skip

TEXT_ROW = Row(
    "mllama_text_model", "mllama-text", ("MllamaForCausalLM",),
    reads={"vocab_size": "vocab_size", "d_model": "hidden_size", "n_layers": "num_hidden_layers",
           "n_heads": "num_attention_heads", "n_kv_heads": "num_key_value_heads", "d_ff": "intermediate_size",
           "cross_attention_layers": "cross_attention_layers?"},
    defaults=DEFAULTS["mllama_text_model"], rules=(_cross_layers,),
    # the head is never tied (the embedding has 8 more rows): tie_word_embeddings changes nothing
    shape_free=frozenset(("hidden_act", "rms_norm_eps", "rope_parameters", "rope_theta", "rope_scaling",
                          "max_position_embeddings", "dropout", "tie_word_embeddings")),
)  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``mllama-vision`` and ``mllama-text`` families."""
    register(Family(name="mllama-vision", params=MllamaVisionParams, build=build_vision,
                    description="Mllama's (Llama 3.2 Vision's) tiled vision encoder: local and gated global layers"))
    register(Family(name="mllama-text", params=MllamaTextParams, build=build_text,
                    description="Mllama's language model: Llama layers and gated cross-attention layers over the image"))  # fmt: skip


@hookimpl
def register_model_types(register):
    """Map ``mllama_vision_model`` and ``mllama_text_model``."""
    register(VISION_ROW)
    register(TEXT_ROW)
