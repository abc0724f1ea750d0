"""Import the real job files in ../shared/datasets (see SOURCES.md there).

The files are not in the repository (no licence to copy them), so these tests skip when the
folder is missing, as it is for anyone who clones the project.
"""

import os
from pathlib import Path

import pytest

from liveevent.tables.jobs_in import JobImport, JobRow, parse_job_sheet

# A worktree in another folder (or CI) points at the files with LIVEEVENT_TEST_DATASETS.
DATASETS = Path(
    os.environ.get("LIVEEVENT_TEST_DATASETS")
    or (Path(__file__).resolve().parents[2] / ".." / "shared" / "datasets")
).resolve()


def load(name: str) -> JobImport:
    path = DATASETS / name
    if not path.exists():
        pytest.skip(f"real job files, not shipped (no licence to copy them): {path} is not here")
    return parse_job_sheet(path.read_bytes(), filename_or_content_type=name)


def same_record(row: JobRow) -> tuple[object, ...]:
    return (row.employer, row.title, row.location, row.openings, row.salary, row.salary_range)


def test_51job_gbk_csv_and_excel_workbook_import_to_the_same_records() -> None:
    from_csv = load("zh_51job_frontend_headcount_gbk.csv")
    from_xlsx = load("zh_51job_frontend_headcount_excel.xlsx")
    assert from_csv.ok and from_xlsx.ok
    # 187 distinct title + company pairs, each in one city.
    assert len(from_csv.rows) == 187
    assert sorted(map(same_record, from_csv.rows)) == sorted(map(same_record, from_xlsx.rows))
    # The 11 rows with the headcount under 学历 are put right, not rejected.
    assert len(from_csv.repairs) == 11 and len(from_xlsx.repairs) == 11
    assert any(row.openings == 8 for row in from_csv.rows)
    assert any(row.salary == "20-30万/年" and row.salary_range for row in from_csv.rows)


def test_51job_utf8_control_case() -> None:
    result = load("zh_51job_bigdata_headcount_utf8.csv")
    assert result.ok and not result.repairs
    assert 40 <= len(result.rows) <= 46
    assert all(row.location for row in result.rows)


def test_boss_lagou_gb18030_with_long_descriptions() -> None:
    result = load("zh_boss_lagou_mixed_descriptions_gbk.csv")
    assert result.ok
    assert len(result.rows) == 59  # 780 rows, heavily duplicated
    assert any(row.description and "\n" in row.description for row in result.rows)
    readable = [row for row in result.rows if row.salary_range is not None]
    assert len(readable) >= 50
