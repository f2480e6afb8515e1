"""Layer patterns made of periodic rules, as runs of layers (exact for any layer count).

Not a plugin (it registers nothing). A hybrid decoder chooses each layer's parts by
rules of the form ``i % period == offset`` (Jamba: attention where ``i % attn_layer_period
== attn_layer_offset``, experts where ``i % expert_layer_period == expert_layer_offset``).
:func:`periodic_runs` gives the layers as runs ``(kind, first layer, count, step)`` that
:func:`registry.plugins.decoder.stack` turns into repeats, without listing the layers:
each rule splits every run of the rules before it into the layers it picks (one run) and
the others (one run per position in the rule's period, or the stretches between the
picked layers, whichever is fewer), so a count of 10**30 layers takes no longer than 30.
Only public API is used: a third-party family may import it.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import permutations
from math import gcd

from registry.blocks import FieldError
from registry.plugins.decoder import MAX_RUNS

#: A stretch of layers: (first layer, how many, step between them).
Stretch = tuple[int, int, int]
#: A rule: (the period's field, the offset's field, period, offset), the fields as errors name them;
#: a layer i follows the rule when i % period == offset.
Rule = tuple[str, str, int, int]


def split(stretch: Stretch, period: int, offset: int, field: str = "period") -> tuple[list[Stretch], list[Stretch]]:
    """The layers of ``stretch`` with ``i % period == offset`` (one stretch or none), and the others.

    Raises :class:`FieldError` naming ``field`` when the others would need more than
    :data:`~registry.plugins.decoder.MAX_RUNS` stretches.
    """
    start, count, step = stretch
    g = gcd(step, period)
    if (offset - start) % g:
        return [], [stretch]
    q = period // g  # within the stretch, the picked layers repeat every q layers
    j0 = ((offset - start) // g * pow(step // g, -1, q)) % q if q > 1 else 0
    n_hits = 0 if j0 >= count else (count - 1 - j0) // q + 1
    hits = [(start + j0 * step, n_hits, step * q)] if n_hits else []
    if q == 1:
        return hits, []
    by_position = min(q, count) - (1 if j0 < min(q, count) else 0)
    if min(by_position, n_hits + 1) > MAX_RUNS:
        raise FieldError(field, f"this layer pattern has more than {MAX_RUNS:,} runs of layers")
    if by_position <= n_hits + 1:  # one stretch per other position in the period
        others = [(start + r * step, (count - 1 - r) // q + 1, step * q) for r in range(min(q, count)) if r != j0]
    else:  # the stretches between the picked layers
        edges = [j0 + t * q for t in range(n_hits)]
        bounds = zip([0, *(e + 1 for e in edges)], [*edges, count])
        others = [(start + lo * step, hi - lo, step) for lo, hi in bounds if hi > lo]
    return hits, others


def _runs(n_layers: int, rules: Sequence[Rule]) -> list[tuple[tuple[bool, ...], Stretch]]:
    runs: list[tuple[tuple[bool, ...], Stretch]] = [((), (0, n_layers, 1))]
    for field, _, period, offset in rules:
        new: list[tuple[tuple[bool, ...], Stretch]] = []
        for key, stretch in runs:
            if len(new) > MAX_RUNS:
                raise FieldError(field, f"this layer pattern has more than {MAX_RUNS:,} runs of layers")
            hits, others = split(stretch, period, offset, field)
            new += [((*key, True), s) for s in hits] + [((*key, False), s) for s in others]
        if len(new) > MAX_RUNS:
            raise FieldError(field, f"this layer pattern has more than {MAX_RUNS:,} runs of layers")
        runs = new
    return runs


def _merge(runs: list[tuple[tuple[bool, ...], Stretch]]) -> list[tuple[tuple[bool, ...], Stretch]]:
    """Join runs of the same kind that continue each other with the same step."""
    merged: list[tuple[tuple[bool, ...], Stretch]] = []
    for key, (start, count, step) in sorted(runs, key=lambda r: (r[0], r[1][2], r[1][0])):
        if merged:
            last_key, (s, c, d) = merged[-1]
            if last_key == key and d == step and s + c * d == start:
                merged[-1] = (key, (s, c + count, d))
                continue
        merged.append((key, (start, count, step)))
    return merged


def periodic_runs(n_layers: int, rules: Sequence[Rule]) -> list[tuple[tuple[bool, ...], int, int, int]]:
    """The layers ``0 … n_layers - 1`` as runs ``(kind, first, count, step)``, in layer order.

    ``kind`` holds, for each rule in the order given, whether the run's layers follow
    it. The rules are applied in every order and the fewest runs kept. Raises
    :class:`FieldError` naming the offset's field for an offset outside its period, or
    a period's field for a pattern of more than :data:`~registry.plugins.decoder.MAX_RUNS` runs.
    """
    for period_field, offset_field, period, offset in rules:
        if period < 1:
            raise FieldError(period_field, f"the period must be at least 1 (got {period})")
        if not 0 <= offset < period:
            raise FieldError(
                offset_field, f"the offset ({offset}) must be at least 0 and smaller than the period ({period})"
            )
    best: list[tuple[tuple[bool, ...], Stretch]] | None = None
    error: FieldError | None = None
    for order in permutations(range(len(rules))):
        try:
            runs = _merge(_runs(n_layers, [rules[i] for i in order]))
        except FieldError as exc:
            error = error or exc
            continue
        runs = [(tuple(key[order.index(i)] for i in range(len(rules))), s) for key, s in runs]
        if best is None or len(runs) < len(best):
            best = runs
    if best is None:
        raise error if error is not None else FieldError(rules[0][0], "no layer pattern")
    return sorted(((key, *stretch) for key, stretch in best), key=lambda run: run[1])
