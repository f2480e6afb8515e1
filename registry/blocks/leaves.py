"""Leaf blocks, which own tensors: embedding, linear, layer and RMS norms, a bare parameter."""

from __future__ import annotations

from math import prod
from typing import Literal

from pydantic import Field, PositiveInt

from registry.blocks.base import BlockBase, Component, join
from registry.blocks.tally import Tally
from registry.blocks.tensors import Tensor


class Embedding(BlockBase):
    """A lookup table ``num_embeddings × embedding_dim`` (token, position or segment)."""

    kind: Literal["embedding"] = "embedding"
    num_embeddings: PositiveInt = Field(description="rows: vocabulary size, positions or segments")
    embedding_dim: PositiveInt = Field(description="width of one row")
    role: Literal["token", "position", "segment", "other"] = Field(
        "token", description="token and position tables are excluded from non-embedding N (Kaplan et al.)"
    )

    def tensors(self) -> tuple[Tensor, ...]:
        return (
            Tensor(
                join(self.name, "weight"),
                (self.num_embeddings, self.embedding_dim),
                "embedding",
                "embedding",
                self.role,
            ),
        )

    def add_to(self, tally: Tally) -> None:
        """Add the table to ``tally`` (arithmetic on the shape, no tensor objects)."""
        tally.add_leaf(self.num_embeddings * self.embedding_dim, "embedding", "embedding", self.role)


class Linear(BlockBase):
    """A dense layer ``in_features → out_features`` with an optional bias.

    ``transposed`` stores the weight as ``(in, out)`` (GPT-2's Conv1D) instead of
    PyTorch's ``(out, in)``. ``tied_to`` names (full path) the tensor whose storage
    the weight shares, e.g. an LM head tied to the token embedding. ``bias_name``
    places the bias elsewhere than ``<name>.bias`` (relative to the parent), for
    implementations that register it on another module (BERT's MLM decoder bias is
    ``cls.predictions.bias``).
    """

    kind: Literal["linear"] = "linear"
    in_features: PositiveInt = Field(description="input width")
    out_features: PositiveInt = Field(description="output width")
    bias: bool = Field(True, description="add a bias of out_features")
    transposed: bool = Field(False, description="store the weight as (in, out), as GPT-2's Conv1D does")
    component: Component = Field("other", description="the report's component this layer belongs to")
    tied_to: str | None = Field(None, description="full path of the tensor the weight shares (counted once there)")
    bias_name: str | None = Field(None, description="path of the bias relative to the parent, if not <name>.bias")

    def tensors(self) -> tuple[Tensor, ...]:
        shape = (self.in_features, self.out_features) if self.transposed else (self.out_features, self.in_features)
        weight = Tensor(join(self.name, "weight"), shape, "linear", self.component, "", self.tied_to)
        if not self.bias:
            return (weight,)
        bias_path = self.bias_name if self.bias_name is not None else join(self.name, "bias")
        return weight, Tensor(bias_path, (self.out_features,), "linear", self.component)

    def add_to(self, tally: Tally) -> None:
        """Add the weight and bias to ``tally`` (arithmetic on the shape, no tensor objects)."""
        weight, bias = self.in_features * self.out_features, self.out_features if self.bias else 0
        if self.tied_to is None:
            tally.add_leaf(weight + bias, "linear", self.component)
            return
        tally.add_leaf(weight, "linear", self.component, tied=True)
        if bias:
            tally.add_leaf(bias, "linear", self.component)


class LayerNorm(BlockBase):
    """Layer normalisation over ``dim`` features: a scale and (optionally) a shift."""

    kind: Literal["layer_norm"] = "layer_norm"
    dim: PositiveInt = Field(description="features normalised")
    bias: bool = Field(True, description="a learned shift beside the scale")
    component: Component = Field("norm", description="the report's component")

    def tensors(self) -> tuple[Tensor, ...]:
        weight = Tensor(join(self.name, "weight"), (self.dim,), "layer_norm", self.component)
        if not self.bias:
            return (weight,)
        return weight, Tensor(join(self.name, "bias"), (self.dim,), "layer_norm", self.component)

    def add_to(self, tally: Tally) -> None:
        """Add the scale and shift to ``tally`` (arithmetic, no tensor objects)."""
        tally.add_leaf(2 * self.dim if self.bias else self.dim, "layer_norm", self.component)


class RMSNorm(BlockBase):
    """Root-mean-square normalisation over ``dim`` features: a scale only."""

    kind: Literal["rms_norm"] = "rms_norm"
    dim: PositiveInt = Field(description="features normalised")
    component: Component = Field("norm", description="the report's component")

    def tensors(self) -> tuple[Tensor, ...]:
        return (Tensor(join(self.name, "weight"), (self.dim,), "rms_norm", self.component),)

    def add_to(self, tally: Tally) -> None:
        """Add the scale to ``tally`` (arithmetic, no tensor objects)."""
        tally.add_leaf(self.dim, "rms_norm", self.component)


class Parameter(BlockBase):
    """A bare parameter tensor of any shape (e.g. Transformer-XL's per-head biases)."""

    kind: Literal["parameter"] = "parameter"
    shape: tuple[PositiveInt, ...] = Field(description="the tensor's shape, e.g. [16, 64]")
    component: Component = Field("other", description="the report's component")
    tied_to: str | None = Field(None, description="full path of the tensor this one shares (counted once there; "
                                "SAM's prompt encoder holds the image encoder's positional features)")

    def tensors(self) -> tuple[Tensor, ...]:
        return (Tensor(self.name, tuple(self.shape), "parameter", self.component, "", self.tied_to),)

    def add_to(self, tally: Tally) -> None:
        """Add the tensor to ``tally`` (arithmetic on the shape, no tensor object)."""
        tally.add_leaf(prod(self.shape), "parameter", self.component, tied=self.tied_to is not None)
