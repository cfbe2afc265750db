from tack.core.ids import id_time_ms, new_id


def test_ids_are_uuid7_and_time_ordered() -> None:
    ids = [new_id() for _ in range(5000)]
    assert all(i.version == 7 for i in ids)
    assert all(i.variant == "specified in RFC 4122" for i in ids)
    assert ids == sorted(ids), "ids made one after another sort in creation order"
    assert len(set(ids)) == len(ids)


def test_id_carries_its_time() -> None:
    i = new_id(at_ms=1_700_000_000_123)
    assert id_time_ms(i) >= 1_700_000_000_123
