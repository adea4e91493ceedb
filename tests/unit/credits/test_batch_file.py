"""Reading a batch file of transfers: every cell as written, nothing guessed."""

from __future__ import annotations

import pytest

from c3p.credits.batches import TransferLine, read_lines
from c3p.errors import InvalidInput

HEADER = "from_account,to_account,credits,serial\n"


def test_lines_keep_their_numbers_and_skip_blank_ones() -> None:
    text = "\ufeff" + HEADER + "JPN-G-1,JPN-P-2,10,\n,,,\nJPN-G-1,JPN-P-2,,JCM-JPN-VNM-VN007-001-000000000001\n"
    assert read_lines(text) == [
        (2, TransferLine("JPN-G-1", "JPN-P-2", 10)),
        (4, TransferLine("JPN-G-1", "JPN-P-2", None, "JCM-JPN-VNM-VN007-001-000000000001")),
    ]


@pytest.mark.parametrize("credits", ['"1,000"', "1.5", "-5", "1e3", "１０", "NaN", " 12 3"])
def test_credits_other_than_plain_digits_are_refused_naming_the_line(credits: str) -> None:
    with pytest.raises(InvalidInput, match="line 3"):
        read_lines(HEADER + "JPN-G-1,JPN-P-2,1,\n" + f"JPN-G-1,JPN-P-2,{credits},\n")


@pytest.mark.parametrize("text", ["", "a,b,c,d\n", "from_account,to_account,credits\n"])
def test_a_file_without_the_header_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="header"):
        read_lines(text)


def test_a_line_with_missing_cells_is_refused() -> None:
    with pytest.raises(InvalidInput, match="line 2 has 3 cells"):
        read_lines(HEADER + "JPN-G-1,JPN-P-2,10\n")
