"""Every CSV and XLSX Kokyaku writes goes through the one formula-safe writer, kokyaku.lib.tabular (issue 15)."""

from __future__ import annotations

import re
from pathlib import Path

KOKYAKU = Path(__file__).resolve().parents[2] / "kokyaku"
# What writes a table file without the neutralising: the csv module's writers, openpyxl's Workbook, pandas' writers.
RAW_WRITERS = re.compile(r"csv\.(writer|DictWriter)\(|\bWorkbook\(|\.to_csv\(|\.to_excel\(|ExcelWriter\(")


def test_no_module_but_the_shared_writer_writes_csv_or_xlsx() -> None:
    offenders = [
        f"{path.relative_to(KOKYAKU.parent)}:{number}: {line.strip()}"
        for path in sorted(KOKYAKU.rglob("*.py"))
        if path != KOKYAKU / "lib" / "tabular.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if RAW_WRITERS.search(line)
    ]
    assert offenders == [], "write tables through kokyaku.lib.tabular (formula-safe):\n" + "\n".join(offenders)


def test_the_check_itself_sees_a_raw_writer() -> None:
    assert RAW_WRITERS.search("self.writer = csv.writer(self.handle)")
    assert RAW_WRITERS.search("frame.to_csv(path)")
    assert not RAW_WRITERS.search("from kokyaku.lib.tabular import CsvWriter")
