"""What a service process does to its heap once started (`studio_runtime.serve.settle_heap`)."""

import gc
import weakref
from collections.abc import Iterator

import pytest
from studio_runtime.serve import YOUNG_COLLECTION_THRESHOLD, settle_heap


class _Node:
    def __init__(self) -> None:
        self.next: object = None


@pytest.fixture
def restored_collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_start_up_objects_are_set_aside_and_young_collections_are_rarer(
    restored_collector: None,
) -> None:
    frozen_before = gc.get_freeze_count()
    built_at_start = [{"route": n} for n in range(1000)]

    settle_heap()

    # Everything alive then, these dicts included, is out of the collector's way...
    assert gc.get_freeze_count() >= frozen_before + len(built_at_start)
    assert gc.get_threshold()[0] == YOUNG_COLLECTION_THRESHOLD
    # ...and garbage made later is still collected: a cycle made after start-up goes.
    node = _Node()
    node.next = node
    gone = weakref.ref(node)
    del node
    gc.collect()
    assert gone() is None
