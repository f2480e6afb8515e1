"""A tied embedding: a lookup table that is another tensor's storage, used under a name of its own."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from registry.blocks.base import BlockBase, join
from registry.blocks.tensors import Tensor


class TiedEmbedding(BlockBase):
    """An embedding table ``num_embeddings × embedding_dim`` whose weight is the tensor ``tied_to``.

    Its parameters are counted once, at ``tied_to`` (``total_params``), and again here in
    ``total_with_ties``, as PyTorch's ``named_parameters(remove_duplicate=False)`` lists them.
    Encoder-decoder models hold one shared table under several names: the encoder's and the
    decoder's ``embed_tokens`` are ``shared.weight``.
    """

    kind: Literal["tied_embedding"] = "tied_embedding"
    num_embeddings: PositiveInt = Field(description="rows: vocabulary size, positions or segments")
    embedding_dim: PositiveInt = Field(description="width of one row")
    tied_to: str = Field(description="full path of the tensor whose storage this table is (counted once there)")
    role: Literal["token", "position", "segment", "other"] = Field("token", description="the role of the table")

    def tensors(self) -> tuple[Tensor, ...]:
        shape = (self.num_embeddings, self.embedding_dim)
        return (Tensor(join(self.name, "weight"), shape, "embedding", "embedding", self.role, self.tied_to),)
