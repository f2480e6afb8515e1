"""DeepSeek-V4's attention: one shared key/value head over a sliding window and compressed past tokens."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field, NonNegativeInt, PositiveInt, model_validator

from registry.blocks.base import BlockBase, Component, FieldError, join, role_names
from registry.blocks.leaves import Linear, Parameter, RMSNorm

if TYPE_CHECKING:
    from registry.blocks import Block


COMPRESSED_ATTENTION_NAMES = {
    "q_a": "q_a_proj",
    "q_a_norm": "q_a_norm",
    "q_b": "q_b_proj",
    "kv": "kv_proj",
    "kv_norm": "kv_norm",
    "o_a": "o_a_proj",
    "o_b": "o_b_proj",
    "sinks": "sinks",
    "compressor": "compressor",
    "indexer": "indexer",
}


class CompressedAttention(BlockBase):
    """DeepSeek-V4's attention (DeepSeek-AI 2026, "DeepSeek-V4", section 2.3): ``n_heads`` query heads of
    ``head_dim`` against one key/value head of ``head_dim`` (the same vector is key and value), over the last
    ``sliding_window`` tokens and, when ``compress_rate`` is not 0, over compressed entries of the past (one
    per ``compress_rate`` tokens). Queries go through a low-rank latent (``q_a_proj``: ``d_model →
    q_lora_rank``, ``q_a_norm``, ``q_b_proj``: ``q_lora_rank → n_heads × head_dim``); ``kv_proj`` (``d_model →
    head_dim``) and ``kv_norm`` make the key/value; the grouped output projection splits the heads into
    ``o_groups`` groups each projected to ``o_lora_rank`` (``o_a_proj``, weight ``o_groups × o_lora_rank`` by
    ``n_heads × head_dim / o_groups``) and mixes them to ``d_model`` (``o_b_proj``); ``sinks`` holds one
    attention-sink logit per head. No biases.

    The compressor (``compressor.``): ``kv_proj`` and ``gate_proj`` (``d_model → c``), ``position_bias``
    (``compress_rate × c``) and ``kv_norm`` (``head_dim``), with ``c = head_dim`` for heavily compressed
    attention (HCA) and ``c = 2 × head_dim`` for compressed sparse attention (``overlap``: CSA's windows
    overlap, two series per token). CSA also has the lightning indexer (``compressor.indexer.``): its own
    compressor at ``index_head_dim`` (``kv_proj``, ``gate_proj``: ``d_model → 2 × index_head_dim``,
    ``position_bias``, ``kv_norm``), ``q_b_proj`` (``q_lora_rank → index_n_heads × index_head_dim``) and
    ``scorer.weights_proj`` (``d_model → index_n_heads``). Names as transformers'
    ``DeepseekV4Attention``, ``DeepseekV4HCACompressor``, ``DeepseekV4CSACompressor`` and
    ``DeepseekV4Indexer`` (``models/deepseek_v4/modeling_deepseek_v4.py``) give them.

    Cache per sequence of ``T`` tokens: ``min(T, sliding_window)`` key/value vectors of ``head_dim``, plus
    ``T / compress_rate`` compressed entries of ``head_dim`` and, for CSA, as many indexer keys of
    ``index_head_dim`` (the compressors' unfinished windows, at most ``2 × compress_rate`` vectors, are not
    counted).
    """

    kind: Literal["compressed_attention"] = "compressed_attention"
    d_model: PositiveInt = Field(description="input and output width")
    n_heads: PositiveInt = Field(description="query heads (num_attention_heads)")
    head_dim: PositiveInt = Field(description="width of a query head and of the shared key/value head (head_dim)")
    q_lora_rank: PositiveInt = Field(description="query latent width (q_lora_rank)")
    o_groups: PositiveInt = Field(description="groups of heads of the grouped output projection (o_groups)")
    o_lora_rank: PositiveInt = Field(description="width each group is projected to (o_lora_rank)")
    sliding_window: PositiveInt = Field(description="local tokens every query attends (sliding_window)")
    compress_rate: NonNegativeInt = Field(0, description="tokens per compressed entry (0: sliding window only)")
    overlap: bool = Field(False, description="compressed sparse attention: overlapping windows and the lightning indexer")
    index_n_heads: PositiveInt | None = Field(None, description="heads of the lightning indexer (needs overlap)")
    index_head_dim: PositiveInt | None = Field(None, description="width of an indexer head (needs overlap)")
    component: Component = Field("attention", description="the report's component")
    names: dict[str, str] = Field(default_factory=dict, description="submodule name per role (q_a, kv, o_a, sinks, ...)")

    @model_validator(mode="after")
    def _check(self) -> CompressedAttention:
        role_names(COMPRESSED_ATTENTION_NAMES, self.names, "compressed_attention")
        if (self.n_heads * self.head_dim) % self.o_groups:
            raise FieldError("o_groups", f"o_groups ({self.o_groups}) must divide n_heads × head_dim "
                                         f"({self.n_heads * self.head_dim})")  # fmt: skip
        if self.overlap and not self.compress_rate:
            raise FieldError("overlap", "compressed sparse attention needs a compress_rate")
        if self.overlap != (self.index_n_heads is not None) or self.overlap != (self.index_head_dim is not None):
            raise FieldError("index_n_heads", "the lightning indexer (index_n_heads, index_head_dim) comes with overlap, "
                                              "and only with it")  # fmt: skip
        return self

    @property
    def cache_entries(self) -> tuple[tuple[str, int, int], ...]:
        """What the cache holds per sequence: (what, values a token, tokens per entry) — the window's key/value
        (one entry a token, at most ``sliding_window`` of them), then the compressed entries and indexer keys."""
        entries = [("window", self.head_dim, 1)]
        if self.compress_rate:
            entries.append(("compressed", self.head_dim, self.compress_rate))
        if self.overlap and self.index_head_dim:
            entries.append(("indexer", self.index_head_dim, self.compress_rate))
        return tuple(entries)

    def children(self) -> tuple[Block, ...]:
        names = role_names(COMPRESSED_ATTENTION_NAMES, self.names, "compressed_attention")
        d, h, hd, component = self.d_model, self.n_heads, self.head_dim, self.component

        def linear(path: str, n_in: int, n_out: int) -> Linear:
            return Linear(name=join(self.name, path), in_features=n_in, out_features=n_out, bias=False,
                          component=component)  # fmt: skip

        def compressor(path: str, width: int, norm: int) -> list[Block]:
            return [
                Parameter(name=join(self.name, path, "position_bias"), shape=(self.compress_rate, width),
                          component=component),
                linear(join(path, "kv_proj"), d, width), linear(join(path, "gate_proj"), d, width),
                RMSNorm(name=join(self.name, path, "kv_norm"), dim=norm),
            ]  # fmt: skip

        parts: list[Block] = [
            linear(names["q_a"], d, self.q_lora_rank), RMSNorm(name=join(self.name, names["q_a_norm"]), dim=self.q_lora_rank),
            linear(names["q_b"], self.q_lora_rank, h * hd), linear(names["kv"], d, hd),
            RMSNorm(name=join(self.name, names["kv_norm"]), dim=hd),
            linear(names["o_a"], h * hd // self.o_groups, self.o_groups * self.o_lora_rank),
            linear(names["o_b"], self.o_groups * self.o_lora_rank, d),
            Parameter(name=join(self.name, names["sinks"]), shape=(h,), component=component),
        ]  # fmt: skip
        if self.compress_rate:
            parts += compressor(names["compressor"], 2 * hd if self.overlap else hd, hd)
        if self.overlap and self.index_n_heads and self.index_head_dim:
            where = join(names["compressor"], names["indexer"])
            ih, idim = self.index_n_heads, self.index_head_dim
            parts += [*compressor(where, 2 * idim, idim), linear(join(where, "q_b_proj"), self.q_lora_rank, ih * idim),
                      linear(join(where, "scorer.weights_proj"), d, ih)]  # fmt: skip
        return tuple(parts)
