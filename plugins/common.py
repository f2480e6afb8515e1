"""Hyper-parameter pieces that several built-in families share.

Only public API is used here: a third-party family may copy or import it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from registry.blocks import FieldError


class FamilyParams(BaseModel):
    """Base of a family's hyper-parameters: frozen, unknown keys rejected, strict types.

    Strict: a boolean, a text or a decimal number is not a whole number (``d_model =
    true`` is refused, not read as 1), a text is not a boolean. Spec files are
    validated strictly whatever a family's base; this base makes the Python API
    (:func:`registry.build_model`) and config.json mappings just as strict.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True, strict=True)


def check_heads(d_model: int, n_heads: int, head_dim: int | None, n_kv_heads: int | None = None) -> None:
    """The attention shape rules, as readable errors naming the field at fault."""
    if head_dim is None and d_model % n_heads:
        raise FieldError("n_heads", f"n_heads ({n_heads}) does not divide d_model ({d_model}) and no head_dim is given")
    if n_kv_heads is not None and (n_kv_heads > n_heads or n_heads % n_kv_heads):
        raise FieldError("n_kv_heads", f"n_kv_heads ({n_kv_heads}) must divide n_heads ({n_heads})")
