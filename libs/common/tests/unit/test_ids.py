from arflow.ids import uuid7


def test_uuid7_is_version_7_and_strictly_increasing_within_a_process() -> None:
    ids = [uuid7() for _ in range(5000)]  # many share a millisecond
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
