"""What a plugin hands over for a GGUF ``general.architecture``: :class:`GgufArchitecture`,
which reads a file's metadata through a :class:`GgufMetadata` (arrays as :class:`GgufArray`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from registry.errors import SpecError
from registry.text import short_value
from registry.contracts.families import code_of
from registry.contracts.model_types import REQUIRED

__all__ = ["GgufArchitecture", "GgufArray", "GgufMetadata"]


@dataclass(frozen=True)
class GgufArray:
    """A GGUF metadata array: its item type, length, and items (None when too long to keep)."""

    type: str
    count: int
    items: tuple[Any, ...] | None


class GgufMetadata:
    """A GGUF file's metadata and tensors, read by key; a missing or wrong value is a SpecError naming the key."""

    def __init__(self, path: str, data: dict[str, Any], tensors: dict[str, tuple[int, ...]]) -> None:
        self.path = path
        self.data = data
        self.tensors = tensors  # the shape of each tensor, by GGUF name
        arch = self.data.get("general.architecture")
        self.arch: str = arch if isinstance(arch, str) else ""
        self.notes: list[str] = []  # lines a rule tells the user (see :meth:`note`)

    def note(self, line: str) -> None:
        """Tell the user ``line`` with the model read from this file (printed as a warning): what the file holds
        otherwise than the checkpoint it came from, where the count is still exact for the file."""
        self.notes.append(line)

    def error(self, key: str, message: str) -> SpecError:
        """The SpecError for ``key``."""
        return SpecError(self.path, key, message)

    def has(self, key: str) -> bool:
        """Whether the file has ``key``."""
        return key in self.data

    def int(self, key: str, default: Any = REQUIRED, minimum: int = 1) -> Any:
        """An integer value of at least ``minimum`` (``default`` when absent; required without one)."""
        if key not in self.data:
            if default is REQUIRED:
                raise self.error(key, "required metadata key is missing")
            return default
        value = self.data[key]
        if isinstance(value, GgufArray):
            raise self.error(key, f"an array of {value.count} values (one per layer?) cannot be mapped to one "
                                  "hyper-parameter")  # fmt: skip
        if type(value) is not int or value < minimum:
            raise self.error(key, f"must be an integer of at least {minimum}, got {short_value(value)}")
        return value

    def float(self, key: str, default: Any = None) -> Any:
        """A number value (``default`` when absent)."""
        value = self.data.get(key, default)
        if value is not default and not isinstance(value, (int, float)):
            raise self.error(key, f"must be a number, got {short_value(value)}")
        return value

    def rows(self, tensor: str) -> int | None:
        """The outermost dimension of ``tensor`` (a vocabulary from ``token_embd.weight``), None if absent."""
        shape = self.tensors.get(tensor)
        return shape[0] if shape else None


@dataclass(frozen=True)
class GgufArchitecture:
    """The mapping of one GGUF ``general.architecture`` to a config.json-like dict and checkpoint names.

    Either code (``config`` and ``tensor_name``, for a plugin's own logic) or a row of data read
    by one interpreter (:mod:`registry.sources.gguf_rows`) when ``config`` is None:

    * ``model_type`` and ``classes``: the Hugging Face ``model_type`` and ``architectures``;
    * ``keys``: metadata key after ``<arch>.`` -> config field (``"block_count": "num_hidden_layers"``);
      a key ending in ``?`` may be absent;
    * ``tensors``: GGUF tensor name (inside ``blk.<i>.`` for a block, without ``.weight``/``.bias``) ->
      checkpoint module, inside ``layers`` for a block. ``{e}`` in the module: a merged expert tensor
      split along its first dimension into one tensor per expert; a leading ``~``: the same
      elements in another layout (compared by count); two GGUF tensors on one module: joined, by count;
      ``a+b``: one GGUF tensor fused from the modules ``a`` and ``b``, cut in equal parts along its first
      dimension after the experts' (llama.cpp's ``ffn_gate_up_exps``: ``experts.{e}.gate_proj+experts.{e}.up_proj``);
    * ``variants``: GGUF tensor -> entries of ``tensors`` that hold instead when the file has it (Falcon-40B's
      ``attn_norm`` is ``ln_mlp`` when there is an ``attn_norm_2``);
    * ``block_variants``: GGUF tensor inside ``blk.<i>.`` -> entries of ``tensors`` that hold instead in each block
      that has it (MiniMax-01's ``attn_output`` is a lightning layer's ``out_proj`` in a block with ``attn_qkv``);
    * ``renumbered``: GGUF prefix -> checkpoint list, for numbered groups that llama.cpp numbers otherwise
      than the checkpoint: ``<prefix>.<n>.<rest>`` is ``<list>.<j>.<rest>``, ``j`` the rank of ``n`` among
      the file's numbers under that prefix and ``<rest>`` read through ``tensors`` (Qwen3-VL's deepstack
      mergers, ``v.deepstack.<block>.fc1`` for ``deepstack_merger_list.<j>.linear_fc1``); an entry
      ``<prefix>.<rest>`` of ``tensors`` holds for that group before ``<rest>`` (T5's ``dec.blk.ffn_norm``);
    * ``mtp``: the checkpoint list of the multi-token-prediction blocks llama.cpp appends after the last layer
      (``<arch>.nextn_predict_layers`` of them, counted in ``block_count``): ``block_count`` is read less them
      (per-layer arrays cut to the layers), and ``blk.<layers + j>.<rest>`` is ``<mtp>.<j>.<rest>`` (``<rest>``
      read through ``mtp_tensors``, a whole checkpoint name, then ``tensors``): Qwen3-Next's ``mtp.layers``;
    * ``presence``: config field -> GGUF tensor whose presence in the file sets it true (``!`` first:
      absence sets it true);
    * ``fixed``: config fields the architecture sets whatever the file says;
    * ``metadata_scalars``: metadata key (after ``<arch>.``, an array of one number per block) -> the checkpoint
      module, inside ``layers``, that holds each block's number as a one-element tensor: parameters llama.cpp
      keeps as metadata, not tensors (Apertus's xIELU ``alpha_p`` / ``alpha_n``), read as those tensors;
    * ``not_parameters``: GGUF tensors that are not parameters (llama 3's ``rope_freqs``; a name inside
      ``blk.<i>.`` for every block; ``<group>.<rest>`` for ``<group>.<n>.<rest>`` of a ``renumbered`` group);
    * ``rule``: a function ``rule(meta, config)`` that edits the config where the logic is real;
    * ``vocab``: the tensor whose rows are ``vocab_size`` ("" for a file without a vocabulary: an mmproj);
    * ``blocks``: the prefix of block tensors (``blk``; ``v.blk`` for a vision tower);
    * a config field with dots (``vision_config.hidden_size``) is a field of a sub-config.

    A row of a file that holds some parts of a composite model type (llama.cpp's ``mmproj`` files: a
    vision tower and its projector, ``general.architecture = "clip"``) also gives:

    * ``selected_by``: metadata keys (the first present wins) whose text value picks this row among
      those of its architecture; the row is named ``<architecture>/<value>`` (``clip/gemma3``);
    * ``parts``: the parts of the composite model the file holds (the others are left out of the count);
    * ``completes``: the GGUF architectures of the language-model files it completes in a folder
      (``gemma3``): the two count as the whole composite model;
    * ``text_model_type``: the ``model_type`` the completed language model's config is read as in the
      composite, when it is not its own row's (llama.cpp's ``qwen2vl`` is a Qwen2 decoder, read as
      ``qwen2_5_vl_text`` in ``qwen2_5_vl``); "" keeps the row's;
    * ``completes_as``: language-model architecture -> config fields set over the composite's (merged field by
      field, after the language model's ``text_config``) when the file completes that architecture: one mmproj
      completing two composites (Qwen3-VL's ``qwen3vl_merger`` with ``qwen3vlmoe``: the whole ``qwen3_vl_moe``);
    * ``text_ignores``: language-model architecture -> fields of its row's config that the composite's
      language-model type does not have, left out when the file completes that architecture (``glm4``'s
      ``attention_bias`` and ``head_dim``, which GLM-4.1V's ``glm4v_text`` fixes; a wrong width still shows as a
      tensor of another shape).
    """

    name: str
    config: Callable[[GgufMetadata], dict[str, Any]] | None = None
    tensor_name: Callable[[str], str | None] | None = None
    description: str = ""
    origin: str = field(default="", compare=False)
    model_type: str = ""
    classes: tuple[str, ...] = ()
    keys: Mapping[str, str] = field(default_factory=dict)
    tensors: Mapping[str, str] = field(default_factory=dict)
    layers: str = "model.layers"
    variants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    block_variants: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    renumbered: Mapping[str, str] = field(default_factory=dict)
    presence: Mapping[str, str] = field(default_factory=dict)
    fixed: Mapping[str, Any] = field(default_factory=dict)
    metadata_scalars: Mapping[str, str] = field(default_factory=dict)
    not_parameters: tuple[str, ...] = ("rope_freqs.weight",)
    rule: Callable[[GgufMetadata, dict[str, Any]], None] | None = None
    vocab: str = "token_embd.weight"
    blocks: str = "blk"
    mtp: str = ""
    mtp_tensors: Mapping[str, str] = field(default_factory=dict)
    selected_by: tuple[str, ...] = ()
    parts: tuple[str, ...] = ()
    completes: tuple[str, ...] = ()
    text_model_type: str = ""
    completes_as: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    text_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def architecture(self) -> str:
        """The ``general.architecture`` this mapping reads (its name before any ``/<value>``)."""
        return self.name.split("/", 1)[0]

    #: What the plugin registry calls one of these in its messages.
    what: ClassVar[str] = "GGUF architecture"

    @property
    def is_row(self) -> bool:
        """Whether this mapping is a row of data (read by the interpreter), not code."""
        return self.config is None

    def problem(self) -> str:
        """What is wrong with this mapping as a registration ("" when nothing)."""
        if not isinstance(self.name, str) or not self.name.strip():
            return "register() was given a GGUF architecture with an empty name"
        if self.is_row:
            if self.tensor_name is not None or not isinstance(self.model_type, str) or not self.model_type:
                return f"GGUF architecture {self.name!r}: a row needs a model_type and no tensor_name"
            if not all(isinstance(m, Mapping) for m in (self.keys, self.tensors, self.presence, self.fixed, self.variants,
                                                        self.block_variants,
                                                        self.renumbered, self.mtp_tensors, self.metadata_scalars)):
                return (f"GGUF architecture {self.name!r}: keys, tensors, variants, block_variants, renumbered, mtp_tensors, "
                        "metadata_scalars, presence and fixed must be mappings")  # fmt: skip
            texts = [*self.keys.items(), *self.tensors.items(), *self.presence.items(), *self.fixed,
                     *(pair for v in (*self.variants.values(), *self.block_variants.values())
                       for pair in (v.items() if isinstance(v, Mapping) else [v])),
                     *self.variants, *self.block_variants, *self.renumbered.items(), *self.mtp_tensors.items(), *self.metadata_scalars.items(),
                     self.mtp, *self.classes,
                     *self.not_parameters, self.layers, self.vocab, self.blocks,
                     *self.selected_by, *self.parts, *self.completes, self.text_model_type]  # fmt: skip
            if not all(isinstance(x, str) for t in texts for x in (t if isinstance(t, tuple) else (t,))):
                return (f"GGUF architecture {self.name!r}: the names of keys, tensors, variants, block_variants, renumbered, presence, "
                        "fixed, mtp, mtp_tensors, metadata_scalars, classes, not_parameters, layers, vocab, blocks, selected_by, parts, "
                        "completes and text_model_type must be text")  # fmt: skip
            if not isinstance(self.completes_as, Mapping) or not all(
                    isinstance(k, str) and k in self.completes and isinstance(v, Mapping) and all(isinstance(f, str) for f in v)
                    for k, v in self.completes_as.items()):  # fmt: skip
                return (f"GGUF architecture {self.name!r}: completes_as must map architectures of completes to "
                        "mappings of config fields")  # fmt: skip
            if not isinstance(self.text_ignores, Mapping) or not all(
                    k in self.completes and isinstance(v, tuple) and all(isinstance(f, str) for f in v)
                    for k, v in self.text_ignores.items()):  # fmt: skip
                return (f"GGUF architecture {self.name!r}: text_ignores must map architectures of completes to "
                        "tuples of config fields")  # fmt: skip
            if (self.mtp or self.metadata_scalars) and "block_count" not in self.keys:
                return (f"GGUF architecture {self.name!r}: mtp and metadata_scalars need the block_count key (the "
                        "blocks they cut or count)")  # fmt: skip
            if ("/" in self.name) != bool(self.selected_by):
                return (f"GGUF architecture {self.name!r}: a row named <architecture>/<value> needs selected_by (the "
                        "metadata keys whose value picks it), and only such a row has them")  # fmt: skip
            if self.rule is not None and not callable(self.rule):
                return f"GGUF architecture {self.name!r}: rule must be callable (or None)"
            return ""
        if not callable(self.config) or not callable(self.tensor_name):
            return f"GGUF architecture {self.name!r}: config and tensor_name must be callable"
        return ""

    def registered_by(self, plugin: str) -> GgufArchitecture:
        """This mapping, recorded as provided by ``plugin``."""
        return replace(self, origin=plugin)

    def fingerprint(self) -> tuple[object, ...]:
        """The plugin code and data this mapping runs, with its code objects (see ``Family.fingerprint``)."""
        return (*code_of(self.config, self.tensor_name, self.rule), self.keys, self.tensors, self.variants, self.block_variants,
                self.renumbered,
                self.mtp, self.mtp_tensors, self.metadata_scalars, self.presence, self.fixed, self.vocab, self.blocks, self.selected_by,
                self.parts, self.completes, self.text_model_type, self.completes_as, self.text_ignores)
