"""Decision Transformer: a GPT-2 over (return, state, action) tokens of a trajectory (``decision-transformer``).

transformers 5.25's ``DecisionTransformerModel`` (``modeling_decision_transformer.py``): ``encoder`` is GPT-2's
body (the ``gpt`` family's ``GPT2Model``: ``wte`` of ``vocab_size`` rows, unused but built, ``wpe``, ``h.<i>`` and
``ln_f``), then the trajectory's embeddings: ``embed_timestep`` (``max_ep_len`` rows), ``embed_return`` (1 input),
``embed_state`` (``state_dim`` inputs) and ``embed_action`` (``act_dim`` inputs), linears with biases to the hidden
size, and ``embed_ln``; and the heads: ``predict_state`` (to ``state_dim``), ``predict_action.0`` (to ``act_dim``;
its tanh has no tensor) and ``predict_return`` (to 1).
"""

from __future__ import annotations

from pydantic import Field, PositiveInt

from registry import Family, hookimpl
from registry.blocks import Embedding, LayerNorm, Linear, Module
from registry.plugins.common import FamilyParams
from registry.plugins.gpt import GPTParams, build as build_gpt


class DecisionTransformerParams(FamilyParams):
    """Hyper-parameters of the ``decision-transformer`` family."""

    vocab_size: PositiveInt = Field(1, description="rows of GPT-2's token embedding (built, unused)")
    n_positions: PositiveInt = Field(1024, description="learned position embedding rows")
    d_model: PositiveInt = Field(128, description="hidden size")
    n_layers: PositiveInt = Field(3, description="GPT-2 blocks")
    n_heads: PositiveInt = Field(1, description="attention heads")
    d_ff: PositiveInt | None = Field(None, description="feed-forward width (default 4 * d_model)")
    state_dim: PositiveInt = Field(17, description="width of a state")
    act_dim: PositiveInt = Field(4, description="width of an action")
    max_ep_len: PositiveInt = Field(4096, description="timestep embedding rows (the longest episode)")


def build(p: DecisionTransformerParams) -> Module:
    """The block tree of ``DecisionTransformerModel``."""
    d = p.d_model
    gpt = build_gpt(GPTParams(vocab_size=p.vocab_size, n_positions=p.n_positions, d_model=d, n_layers=p.n_layers,
                              n_heads=p.n_heads, d_ff=p.d_ff))  # fmt: skip
    return Module(blocks=[
        Module(name="encoder", blocks=gpt.blocks),
        Embedding(name="embed_timestep", num_embeddings=p.max_ep_len, embedding_dim=d, role="position"),
        Linear(name="embed_return", in_features=1, out_features=d, component="embedding"),
        Linear(name="embed_state", in_features=p.state_dim, out_features=d, component="embedding"),
        Linear(name="embed_action", in_features=p.act_dim, out_features=d, component="embedding"),
        LayerNorm(name="embed_ln", dim=d),
        Linear(name="predict_state", in_features=d, out_features=p.state_dim, component="head"),
        Linear(name="predict_action.0", in_features=d, out_features=p.act_dim, component="head"),
        Linear(name="predict_return", in_features=d, out_features=1, component="head"),
    ])  # fmt: skip


@hookimpl
def register_families(register):
    """Register the ``decision-transformer`` family."""
    register(Family(name="decision-transformer", params=DecisionTransformerParams, build=build,
                    description="Decision Transformer: GPT-2 over return, state and action embeddings (offline RL)"))


@hookimpl
def register_model_types(register):
    """Map the ``decision_transformer`` model type."""
    from registry.plugins.hf_common import hf_row  # here: a spec of the family needs none of it

    register(hf_row(
        "decision_transformer", "decision-transformer", ("DecisionTransformerModel",),
        {"vocab_size": "vocab_size", "n_positions": "n_positions|max_position_embeddings", "d_model": "hidden_size",
         "n_layers": "n_layer|num_hidden_layers", "n_heads": "n_head|num_attention_heads", "d_ff": "n_inner?",
         "state_dim": "state_dim", "act_dim": "act_dim", "max_ep_len": "max_ep_len"},
        shape_free=("action_tanh", "activation_function", "resid_pdrop", "embd_pdrop", "attn_pdrop", "layer_norm_epsilon",
                    "scale_attn_weights", "scale_attn_by_inverse_layer_idx", "reorder_and_upcast_attn"),
    ))  # fmt: skip
