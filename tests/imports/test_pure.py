"""The reading, mapping and validation modules on their own (that they import no Django: tests/test_architecture.py)."""

from __future__ import annotations

import pytest

from kokyaku.imports.mapping import builtin_mappings, mapping_load
from kokyaku.imports.reader import detect_delimiter, detect_encoding


@pytest.mark.parametrize(
    ("sample", "expected"),
    [
        ("a,b;c\n1,2;3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ("a\tb\n1\t2\n", "\t"),
        ("a|b\n1|2\n", "|"),
        ('a;"b;c"\n1;"2;3"\n', ";"),
    ],
)
def test_the_delimiter_is_the_one_that_splits_rows_evenly(sample: str, expected: str) -> None:
    assert detect_delimiter(sample) == expected


def test_encodings_are_told_apart() -> None:
    assert detect_encoding("名前".encode(), complete=True) == "utf-8"
    assert detect_encoding("\ufeffname".encode(), complete=True) == "utf-8-sig"
    assert detect_encoding("名前,金額".encode("cp932"), complete=True) == "cp932"
    # a sample cut in the middle of a character is still UTF-8
    assert detect_encoding("名前".encode()[:-1], complete=False) == "utf-8"


@pytest.mark.parametrize("kind", ["accounts", "reps", "deals", "activities", "purchases"])
def test_every_builtin_mapping_parses(kind: str) -> None:
    names = builtin_mappings(kind)
    assert "generic" in names
    for name in names:
        assert mapping_load(name, kind=kind).kind == kind
