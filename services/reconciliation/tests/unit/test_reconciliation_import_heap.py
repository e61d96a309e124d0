"""The import's garbage-collection policy: what exists when matching starts is frozen, young objects are
looked at less often, and both are handed back at the end."""

import gc
import weakref

from reconciliation.statements.importing import long_lived_heap


def test_the_heap_is_frozen_while_matching_and_handed_back_after_the_last_user_leaves() -> None:
    assert gc.get_freeze_count() == 0
    index = [[n] for n in range(1000)]  # long-lived, like a match index
    with long_lived_heap():
        frozen = gc.get_freeze_count()
        assert frozen >= len(index)
        with long_lived_heap():  # a second import in the same process
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen  # still frozen: the first import is not done
        made = [[n] for n in range(1000)]  # made while matching: collected as usual, not frozen
        assert gc.get_freeze_count() == frozen
    assert gc.get_freeze_count() == 0
    assert len(made) == len(index)


def test_young_objects_pile_up_longer_while_matching_and_the_thresholds_come_back() -> None:
    before = gc.get_threshold()
    with long_lived_heap():
        young, *older = gc.get_threshold()
        assert young > 10 * before[0]  # a line's short-lived containers die before the collector looks
        assert tuple(older) == before[1:]
        with long_lived_heap():
            assert gc.get_threshold()[0] == young
        assert gc.get_threshold()[0] == young  # the first import still matches
    assert gc.get_threshold() == before


class _Row:
    """Like an ORM row: it refers to itself through its state, so only the cycle collector frees it."""

    def __init__(self) -> None:
        self.state = self


def test_garbage_of_the_loading_is_collected_not_frozen() -> None:
    gc.disable()  # (no collection by chance before the policy's own)
    try:
        row = _Row()
        gone = weakref.ref(row)
        del row
        assert gone() is not None
        with long_lived_heap():
            assert gone() is None
    finally:
        gc.enable()
