"""``settled_world``: a batch of replications runs with the long-lived heap set aside by the cyclic collector
(issue 17, engine speed) — and nothing it makes, nor anything dropped meanwhile, is lost for good.

What is frozen is Python's own contract (:func:`gc.freeze`: "move all objects tracked by the garbage collector
into a permanent generation, i.e. ignore them in all the future collections"); these tests show the engine's use
of it keeps garbage collectable: cycles made inside the batch are collected inside it, and a cycle dropped
during the batch is collected once the batch ends.
"""

from __future__ import annotations

import gc
import weakref

from simulation.model.engine import YOUNG_THRESHOLD, settled_world


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_the_freeze_is_lifted_when_the_last_batch_ends() -> None:
    assert gc.get_freeze_count() == 0
    with settled_world():
        frozen = gc.get_freeze_count()
        assert frozen > 0
        with settled_world():  # nested (or a concurrent batch): one freeze, shared
            assert gc.get_freeze_count() >= frozen
        assert gc.get_freeze_count() > 0
    assert gc.get_freeze_count() == 0


def test_cycles_made_inside_the_batch_are_collected_inside_it() -> None:
    with settled_world():
        ref = weakref.ref(_Node())
        gc.collect()
        assert ref() is None


def test_a_cycle_dropped_during_the_batch_is_collected_after_it() -> None:
    node = _Node()
    ref = weakref.ref(node)
    with settled_world():
        del node
        gc.collect()
        assert ref() is not None  # set aside while the batch runs
    gc.collect()
    assert ref() is None


def test_the_young_generation_threshold_is_raised_inside_the_batch_and_put_back_after() -> None:
    before = gc.get_threshold()
    gc.set_threshold(555, *before[1:])
    try:
        with settled_world():
            assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
            with settled_world():
                assert gc.get_threshold()[0] == YOUNG_THRESHOLD
            assert gc.get_threshold()[0] == YOUNG_THRESHOLD  # the outer batch still runs
        assert gc.get_threshold() == (555, *before[1:])
    finally:
        gc.set_threshold(*before)
