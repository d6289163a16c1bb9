"""report --xlsx prints properly: A4, each table one page wide, each chart below its table and kept whole."""
from __future__ import annotations

import re
import zipfile

from tests.builders import person


def test_report_workbook_page_setup_puts_charts_below_tables(cli, tmp_path):
    for n in range(3):
        cli.add(person(name=f"客户{n}", phone=f"1390000000{n}", city=["北京", "上海", "广州"][n]), "--category", "AB"[n % 2])
    path = tmp_path / "report.xlsx"
    cli.ok("report", "--xlsx", str(path))
    with zipfile.ZipFile(path) as book:
        sheets = sorted(n for n in book.namelist() if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n))
        drawings = sorted(n for n in book.namelist() if re.fullmatch(r"xl/drawings/drawing\d+\.xml", n))
        assert sheets and drawings
        for name in sheets:
            xml = book.read(name).decode()
            assert 'paperSize="9"' in xml and 'fitToHeight="0"' in xml and 'fitToPage="1"' in xml
        for name in drawings:
            xml = book.read(name).decode()
            column = int(re.search(r"<xdr:from><xdr:col>(\d+)</xdr:col>", xml).group(1))
            assert column == 0  # below the table, not beside it where a page would cut it
        workbook_xml = book.read("xl/workbook.xml").decode()
        assert "_xlnm.Print_Area" in workbook_xml
