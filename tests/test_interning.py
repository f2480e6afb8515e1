"""Equal trusted blocks share one state (registry/blocks/interning.py): a sweep computes a
repeated layer's parts, tally and path check once. Sharing must never change what a block
is: these tests check that it shares exactly when the field values are equal, types
included, and that nothing a caller does afterwards reaches a shared state."""

from __future__ import annotations

import pytest

import registry
from registry.blocks import Attention, Embedding, LayerNorm, Linear, Module, Repeat
from registry.blocks import interning
from registry.blocks.base import trusted_blocks


@pytest.fixture(autouse=True)
def cold_cache():
    interning.clear()
    yield
    interning.clear()


def test_equal_trusted_blocks_share_their_state():
    with trusted_blocks():
        a = Attention(name="attn", d_model=64, n_heads=4, names={"qkv": "c_attn", "o": "c_proj"}, fused_qkv=True)
        b = Attention(name="attn", d_model=64, n_heads=4, names={"qkv": "c_attn", "o": "c_proj"}, fused_qkv=True)
        c = Attention(name="attn", d_model=64, n_heads=8, names={"qkv": "c_attn", "o": "c_proj"}, fused_qkv=True)
    assert a is not b and a.__dict__ is b.__dict__ and a.__dict__ is not c.__dict__
    assert a.tally is b.tally and a == b and a != c


def test_a_value_of_another_type_is_not_shared():
    """``True`` equals ``1`` in Python; a block given one is not the block given the other."""
    with trusted_blocks():
        flag = LayerNorm(name="n", dim=8, bias=True)
        number = LayerNorm(name="n", dim=8, bias=1)
        decimal = LayerNorm(name="n", dim=8.0)
    assert flag.__dict__ is not number.__dict__ and number.bias == 1 and type(number.bias) is int
    assert decimal.__dict__ is not flag.__dict__


def test_children_are_compared_as_states():
    with trusted_blocks():
        body = [LayerNorm(name="ln", dim=8), Linear(name="fc", in_features=8, out_features=8)]
        same = [LayerNorm(name="ln", dim=8), Linear(name="fc", in_features=8, out_features=8)]
        other = [LayerNorm(name="ln", dim=8), Linear(name="fc", in_features=8, out_features=9)]
        r1, r2, r3 = (Repeat(name="h", count=3, blocks=b) for b in (body, same, other))
    assert r1.__dict__ is r2.__dict__ and r1.__dict__ is not r3.__dict__
    assert r1.tally.params == 3 * (16 + 72) and r3.tally.params == 3 * (16 + 81)


def test_the_callers_list_is_not_the_blocks():
    """A family that changes its list after building a block changes nothing in that block,
    nor in blocks built later from an equal list."""
    with trusted_blocks():
        layer = [LayerNorm(name="ln", dim=8)]
        first = Module(name="m", blocks=layer)
        layer.append(LayerNorm(name="ln2", dim=8))
        second = Module(name="m", blocks=[LayerNorm(name="ln", dim=8)])
    assert len(first.blocks) == 1 and first.tally.params == 16 and second.tally.params == 16


def test_the_callers_dict_is_not_the_blocks():
    with trusted_blocks():
        names = {"qkv": "c_attn", "o": "c_proj"}
        first = Attention(name="attn", d_model=8, n_heads=2, fused_qkv=True, names=names)
        names["o"] = "out"
        second = Attention(name="attn", d_model=8, n_heads=2, fused_qkv=True, names=names)
    assert first.names == {"qkv": "c_attn", "o": "c_proj"} and second.names["o"] == "out"
    assert first.__dict__ is not second.__dict__
    assert first.children()[-1].name == "attn.c_proj" and second.children()[-1].name == "attn.out"


def test_validated_blocks_are_not_shared():
    a = LayerNorm(name="n", dim=8)
    b = LayerNorm(name="n", dim=8)
    assert a.__dict__ is not b.__dict__ and a == b


def test_a_failed_check_is_not_kept():
    """A trusted block whose cross-field rule fails is refused again the next time, not
    taken from the cache."""
    for _ in range(2):
        with pytest.raises(ValueError, match="active"), trusted_blocks():
            Repeat(name="e", count=2, active=3, blocks=[LayerNorm(name="n", dim=4)])


def test_a_copy_with_changes_recomputes_its_tally():
    with trusted_blocks():
        table = Embedding(name="wte", num_embeddings=10, embedding_dim=4)
    assert table.tally.params == 40
    wider = table.model_copy(update={"embedding_dim": 5})
    assert wider.tally.params == 50 and table.tally.params == 40
    assert "_tally" not in table.model_copy().__dict__ and table.model_copy().tally.params == 40


def test_a_clash_is_found_in_a_shared_state_every_time():
    """The path check kept with a state answers for every block sharing it: two tensors named
    alike are refused the second time as the first."""
    from registry.blocks.tree_check import tree_problem

    for _ in range(2):
        with trusted_blocks():
            bad = Module(blocks=[Repeat(name="h", count=2, blocks=[LayerNorm(name="ln", dim=4)]),
                                 LayerNorm(name="h.1.ln", dim=4)])  # fmt: skip
        problem = tree_problem(bad)
        assert problem is not None and "occurs twice" in problem.message


def test_a_full_cache_starts_again(monkeypatch):
    monkeypatch.setattr(interning, "MAX_SHARED", 4)
    with trusted_blocks():
        blocks = [LayerNorm(name="n", dim=d) for d in range(1, 12)]
        again = LayerNorm(name="n", dim=11)
    assert len(interning._shared) <= 4
    assert again.__dict__ is blocks[-1].__dict__ and [b.dim for b in blocks] == list(range(1, 12))


def test_sweeps_count_as_the_formula_with_a_warm_cache():
    """GPT-2's closed form (Radford et al. 2019's GPT2Model: wte, wpe, 12d^2+13d per layer,
    ln_f) over configurations that share layer bodies, counted twice (cold, then warm)."""
    def formula(v, p, d, layers):
        return v * d + p * d + layers * (12 * d * d + 13 * d) + 2 * d

    configs = [(1000 + i, 64 * (1 + i % 3), 32 * (1 + i % 4), 1 + i % 5, 1 + i % 4) for i in range(60)]
    for _ in range(2):
        counts = [registry.count(registry.build_model("gpt", vocab_size=v, n_positions=p, d_model=d, n_layers=n,
                                                      n_heads=h)).total_params for v, p, d, n, h in configs]
        assert counts == [formula(v, p, d, n) for v, p, d, n, _ in configs]


def test_a_tree_deeper_than_the_stack_is_checked_exactly():
    """The quick check's per-block summaries recurse; a tree deeper than Python's stack is left
    to the exact check (iterative), which finds a clash or nothing, as for any other tree."""
    from registry.blocks.tree_check import tree_problem

    body = LayerNorm(name="n", dim=4)
    for _ in range(3000):
        body = Module(name="m", blocks=[body])
    assert tree_problem(body) is None
    clash = Module(blocks=[body, LayerNorm(name="m." * 3000 + "n", dim=4)])
    problem = tree_problem(clash)
    assert problem is not None and "occurs twice" in problem.message
