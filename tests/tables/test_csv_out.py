import csv
import datetime as dt
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from liveevent.tables.csv_out import CSV_BOM, escape_formula, format_row


def read_back(line: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(line, newline="")))


def test_formula_cells_are_escaped_and_numbers_are_not() -> None:
    line = format_row(['=HYPERLINK("x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx", -5, -1.5, "a-b"])
    assert read_back(line) == [
        ['\'=HYPERLINK("x")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "-5", "-1.5", "a-b"]
    ]


def test_quoting_and_line_ending() -> None:
    assert format_row(["a", 'say "hi"', "x,y", "two\nlines", None, 3]) == (
        'a,"say ""hi""","x,y","two\nlines",,3\r\n'
    )
    assert format_row([""]) == '""\r\n'
    assert format_row([]) == "\r\n"


def test_other_values() -> None:
    row = [dt.datetime(2024, 3, 1, 9, 30), dt.date(2024, 3, 1), True, Decimal("1.50")]
    assert format_row(row) == "2024-03-01 09:30:00,2024-03-01,TRUE,1.50\r\n"


def test_round_trip_through_the_csv_module_with_bom() -> None:
    rows: list[list[object]] = [
        ["编号", "姓名", "备注"],
        [1, "张三", '他说"可以",\r\n明天到'],
        [2, "=cmd", None],
    ]
    text = CSV_BOM + "".join(format_row(row) for row in rows)
    data = text.encode("utf-8")
    assert data.startswith(b"\xef\xbb\xbf")
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert back == [
        ["编号", "姓名", "备注"],
        ["1", "张三", '他说"可以",\r\n明天到'],
        ["2", "'=cmd", ""],
    ]


@given(st.lists(st.text(alphabet=st.characters(blacklist_characters="\x00")), max_size=8))
def test_any_text_row_reads_back_as_written(values: list[str]) -> None:
    expected = [[escape_formula(value) for value in values]] if values else [[]]
    assert read_back(format_row(values)) == expected
