"""Staff ids in the panel form are read whatever their length (PostgreSQL ids grow)."""

from app.interviews.pages import _int_or_none


def test_ids_past_999_are_ids():
    assert _int_or_none("2215") == 2215
    assert _int_or_none(" 7 ") == 7
    assert _int_or_none("") is None
    assert _int_or_none("²") == "²"  # not an ASCII digit: left for validation to name
    assert _int_or_none("1" * 30) == "1" * 30  # past any id: left for validation
