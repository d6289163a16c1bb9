"""The worklist a clerk fills in (XLSX or CSV) and what their decisions do when fed back.

A "not a duplicate" pair is stored (``dedupe_decisions``) and never proposed again; a "duplicate"
pair is answered with the ``merge`` command to run — merging stays a separate, previewed step.
"Unsure" and an empty cell change nothing. The file is checked whole before anything is stored:
an unknown decision or archive number refuses the file and leaves the database as it was.
"""
from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from sqlalchemy import text

from custarchive.core import authz
from custarchive.errors import UsageError, ValidationError

HEADERS = {
    "en": ["rank", "probability", "archive_a", "name_a", "archive_b", "name_b", "for", "against", "missing",
           "decision"],
    "zh": ["序号", "重复概率", "档案A", "名称A", "档案B", "名称B", "支持", "反对", "缺失", "判断"],
}
DECISIONS = {"duplicate": "duplicate", "dup": "duplicate", "yes": "duplicate", "重复": "duplicate",
             "是": "duplicate", "not": "not", "no": "not", "not duplicate": "not", "不重复": "not", "否": "not",
             "unsure": "unsure", "不确定": "unsure", "?": "unsure", "": "unsure"}
LABELS = {"en": ("duplicate", "not", "unsure"), "zh": ("重复", "不重复", "不确定")}
_COLUMN = {name: i for names in HEADERS.values() for i, name in enumerate(names)}


def _row(rank: int, pair: dict) -> list:
    return [rank, pair["probability"], pair["a"], pair["a_name"], pair["b"], pair["b_name"],
            ", ".join(pair["for"]), ", ".join(pair["against"]), ", ".join(pair["missing"]), ""]


def write(path: str, pairs: Any, lang: str) -> int:  # a list of pair dicts or a dedupe Listing
    """The pairs as a worklist with an empty decision column (a drop-down list in XLSX)."""
    headers = HEADERS[lang]
    if path.lower().endswith(".xlsx"):
        import xlsxwriter

        book = xlsxwriter.Workbook(path, {"constant_memory": True})
        sheet = book.add_worksheet("dedupe")
        bold = book.add_format({"bold": True})
        sheet.write_row(0, 0, headers, bold)
        for rank, pair in enumerate(pairs, 1):
            sheet.write_row(rank, 0, _row(rank, pair))
        sheet.data_validation(1, 9, max(len(pairs), 1), 9, {"validate": "list", "source": list(LABELS[lang])})
        sheet.set_column(2, 2, 16)
        sheet.set_column(4, 4, 16)
        sheet.set_column(3, 3, 24)
        sheet.set_column(5, 5, 24)
        book.close()
    elif path.lower().endswith(".csv"):
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.writer(out)
            writer.writerow(headers)
            writer.writerows(_row(rank, pair) for rank, pair in enumerate(pairs, 1))
    else:
        raise UsageError(f"-o {path}: the worklist is a .xlsx or .csv file")
    return len(pairs)


def _rows(path: str):
    file = Path(path)
    if not file.is_file():
        raise UsageError(f"--decisions {path}: no such file")
    if path.lower().endswith(".xlsx"):
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        try:
            for row in book.worksheets[0].iter_rows(values_only=True):
                yield ["" if value is None else str(value) for value in row]
        finally:
            book.close()
    elif path.lower().endswith(".csv"):
        raw = file.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                decoded = raw.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise ValidationError(None, path, "not UTF-8 or GB18030 text")
        yield from csv.reader(decoded.splitlines())
    else:
        raise UsageError(f"--decisions {path}: a .xlsx or .csv worklist")


def read(path: str) -> list[tuple[int, str, str, str]]:
    """(line, archive A, archive B, decision) for every filled-in row; refuses unknown decisions."""
    rows = _rows(path)
    header = next(rows, None)
    if header is None:
        raise ValidationError(None, path, "an empty file")
    where = {_COLUMN.get(cell.strip().lower() if cell.strip().isascii() else cell.strip()): i
             for i, cell in enumerate(header)}
    needed = (2, 4, 9)     # archive_a, archive_b, decision
    if any(n not in where for n in needed):
        raise ValidationError(None, path, "the header needs archive_a, archive_b and decision (档案A, 档案B, 判断)")
    found = []
    for line, row in enumerate(rows, 2):
        cells = [row[where[n]].strip() if where[n] < len(row) else "" for n in needed]
        if not any(cells):
            continue
        a, b, raw = cells
        decision = DECISIONS.get(raw.lower() if raw.isascii() else raw)
        if decision is None:
            raise ValidationError("decision", raw, f"line {line}: use duplicate, not or unsure (重复, 不重复, 不确定)")
        if decision != "unsure" and (not a or not b):
            raise ValidationError("archive", f"{a}/{b}", f"line {line}: both archive numbers are needed")
        found.append((line, a, b, decision))
    return found


def apply(conn, actor, decisions: list[tuple[int, str, str, str]], source: str) -> dict:
    """Store the "not" pairs, list the "duplicate" pairs as merge commands; all or nothing."""
    from custarchive.core.sqlutil import now

    wanted = [d for d in decisions if d[3] != "unsure"]
    authz.require(conn, actor, "update" if any(d[3] == "not" for d in wanted) else "read")
    numbers = sorted({n for _line, a, b, _d in wanted for n in (a, b)})
    ids: dict[str, tuple[int, str]] = {}
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        params = {f"n{i}": n for i, n in enumerate(chunk)}
        marks = ", ".join(f":n{i}" for i in range(len(chunk)))
        for cid, number, status in conn.execute(text(f"SELECT id, archive_no, status FROM customers "
                                                     f"WHERE archive_no IN ({marks})"), params):
            ids[number] = (cid, status)
    for line, a, b, _decision in wanted:
        for number in (a, b):
            if number not in ids:
                raise ValidationError("archive", number, f"line {line}: no such archive")
    declined, merges, gone = 0, [], []
    stamp = now()
    existing = {tuple(row) for row in conn.execute(text("SELECT customer_a, customer_b FROM dedupe_decisions"))}
    for line, a, b, decision in wanted:
        (ia, status_a), (ib, status_b) = ids[a], ids[b]
        if decision == "duplicate":
            if status_a != "active" or status_b != "active":
                gone.append({"line": line, "a": a, "b": b})
            else:
                keep, drop = (a, b) if ia < ib else (b, a)   # the older archive stays
                merges.append({"keep": keep, "drop": drop, "command": f"custarchive merge {keep} {drop}"})
            continue
        pair = (min(ia, ib), max(ia, ib))
        if pair in existing:
            continue
        conn.execute(text("INSERT INTO dedupe_decisions (customer_a, customer_b, decision, decided_at, decided_by, "
                          "source) VALUES (:a, :b, 'not', :at, :by, :src)"),
                     {"a": pair[0], "b": pair[1], "at": stamp, "by": actor.operator, "src": source[:300]})
        existing.add(pair)
        declined += 1
    return {"not_duplicates": declined, "merges": merges, "no_longer_active": gone,
            "unsure": len(decisions) - len(wanted)}
