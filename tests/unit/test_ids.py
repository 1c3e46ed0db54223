from studio_runtime.ids import is_id, new_id


def test_ids_made_in_a_row_sort_in_the_order_they_were_made() -> None:
    ids = [new_id() for _ in range(10_000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert all(is_id(i) for i in ids)


def test_is_id_refuses_other_strings() -> None:
    assert not is_id("not-an-id")
    assert not is_id("0" * 23)
    assert not is_id("G" * 24)
