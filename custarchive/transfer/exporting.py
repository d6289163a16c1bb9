"""Export: archives streamed from the database into CSV, XLSX, JSON, JSON Lines or vCard.

Rows come from a server-side cursor in batches and are turned into output
values by a per-export plan (which column feeds which position, what to mask
for which template, which values become real numbers and dates), so the cost
per row is a few list operations and memory stays flat. CSV, the long
exports' format, is written a batch at a time as bytes (``export_csv``) by
the same plan's rules, on SQLite and PostgreSQL alike. A file is written
under a temporary name and renamed when complete: a failed export never
leaves half a file under the requested name.
"""
from __future__ import annotations

import datetime as _dt
import json
import os
from pathlib import Path
from typing import Any, Callable, Iterator

from sqlalchemy import text

from custarchive.cards import lookup
from custarchive.core import authz, crypto
from custarchive.core.crypto import TOKEN, open_logged
from custarchive.core.fields import CANONICAL
from custarchive.core.masking import mask, sensitive_fields
from custarchive.core.templates import load_template
from custarchive.errors import ConfigError, UsageError, ValidationError
from custarchive.transfer import export_csv
from custarchive.transfer.io import LABELS_ZH, SYSTEM_LABELS_ZH, excel_csv, write_rows


FORMATS = ("csv", "xlsx", "json", "jsonl", "vcf")
SYSTEM_HEAD = ("archive_no", "kind", "category", "template", "status", "grade")
SYSTEM_TAIL = ("created_at", "updated_at", "created_by")
_EXTENSIONS = {".csv": "csv", ".xlsx": "xlsx", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl",
               ".vcf": "vcf", ".vcard": "vcf"}
_VCF_FIELDS = ("archive_no", "kind", "name", "phone", "email", "province", "city", "address", "employer", "title",
               "birth_date", "notes", "contact_name", "contact_title")
_HISTORY_COLUMNS = ("at", "operator", "action", "field", "old_value", "new_value", "reason", "source", "batch_id")
_SHEET_NAMES = {"change_log": "变更记录"}
_NOT_RELATED = {"customers", "name_grams", "change_log"}


def format_from_name(output: str | None) -> str:
    if output and output != "-":
        return _EXTENSIONS.get(Path(output).suffix.lower(), "csv")
    return "csv"


def _joined(value):
    return ",".join(str(item) for item in value) if isinstance(value, list) else value


def _as_date(value):
    try:
        return _dt.date.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value


def _as_datetime(value):
    try:
        return _dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return value


class Plan:
    """Which fields, from which columns, converted and masked how."""

    def __init__(self, templates: list, fields: list[str] | None, fmt: str, reveal: bool, lang_zh: bool):
        self.templates = templates
        extras: dict[str, Any] = {}
        for template in templates:
            for spec in template.fields.values():
                if spec.name not in CANONICAL:
                    extras.setdefault(spec.name, spec)
        data = [name for name in CANONICAL if name not in SYSTEM_HEAD]
        available = list(SYSTEM_HEAD) + data + list(extras) + list(SYSTEM_TAIL)
        if fmt == "vcf":
            chosen = [name for name in _VCF_FIELDS if name in available]
        elif fields:
            unknown = [name for name in fields if name not in available]
            if unknown:
                raise UsageError(f"--fields: unknown field(s) {', '.join(unknown)} "
                                 f"(known: {', '.join(available)})")
            chosen = list(dict.fromkeys(fields))
        else:
            chosen = available
        self.fields = chosen
        # Output order straight from SQL (NULL where a template field goes), then template and extra.
        self.columns = [("NULL" if name in extras else name) for name in chosen] + ["template"]
        if any(name in extras for name in chosen):
            self.columns.append("extra")
        self.width = len(chosen)
        self.template_index = self.width
        self.extra_index = self.width + 1
        self.extra_positions = [(pos, name) for pos, name in enumerate(chosen) if name in extras]
        self.converters = []
        self.amounts = []  # converted inline: amounts are the common case
        for pos, name in enumerate(chosen):
            spec = CANONICAL.get(name) or extras.get(name)
            kind = spec.type if spec is not None and name not in ("archive_no", "kind", "category") else None
            if kind == "amount":
                self.amounts.append(pos)
            elif kind == "multi-choice":
                self.converters.append((pos, _joined))
            elif kind == "date" and fmt == "xlsx":
                self.converters.append((pos, _as_date))
            elif name in ("created_at", "updated_at") and fmt == "xlsx":
                self.converters.append((pos, _as_datetime))
        self.masks: dict[str, list[tuple[int, str]]] = {}
        if not reveal:
            for template in templates:
                hidden = sensitive_fields(template)
                self.masks[template.name] = [(pos, name) for pos, name in enumerate(chosen) if name in hidden]
        self.default_mask = [] if reveal else [(pos, name) for pos, name in enumerate(chosen)
                                               if name in sensitive_fields()]
        secret = set(sensitive_fields()).union(*(sensitive_fields(t) for t in templates))
        self.sealed = [(pos, name) for pos, name in enumerate(chosen) if name in secret]
        self.keys = None  # set by export() when a sealed field is chosen
        self.labels = None
        if lang_zh:
            self.labels = {**{name: spec.label_zh for name, spec in extras.items()}, **LABELS_ZH, **SYSTEM_LABELS_ZH}

    def convert(self, row) -> list:
        """A row of ``columns`` (output order, then template and extra) as output cells: template
        fields filled, sealed values opened, converted, masked."""
        values = list(row[:self.width])
        if self.extra_positions:
            raw = row[self.extra_index]
            if raw:
                data = json.loads(raw)
                for pos, name in self.extra_positions:
                    values[pos] = data.get(name)
        if self.keys is not None:
            for pos, name in self.sealed:
                value = values[pos]
                if value.__class__ is str and value.startswith(TOKEN):
                    values[pos] = self.keys.open(name, value)
        for pos in self.amounts:
            value = values[pos]
            if value.__class__ is float and value.is_integer():
                values[pos] = int(value)
        for pos, convert in self.converters:
            value = values[pos]
            if value is not None:
                values[pos] = convert(value)
        masks = self.masks.get(row[self.template_index], self.default_mask)
        for pos, name in masks:
            value = values[pos]
            if value is not None and value != "":
                values[pos] = mask(name, value)
        return values


def _counted(rows: Iterator, progress: Callable) -> Iterator:
    """``rows`` as they are, telling ``progress`` every thousand."""
    count = 0
    for count, row in enumerate(rows, 1):
        if count % 1000 == 0:
            progress(count)
        yield row
    progress(count)


def _templates(conn, where: str, params: dict) -> list:
    found = []
    for (name,) in conn.execute(text(f"SELECT DISTINCT template FROM customers{where}"), params):
        try:
            found.append(load_template(name))
        except ConfigError:
            continue  # a template file removed since: its archives still export their canonical fields
    return sorted(found, key=lambda template: (template.name not in ("individual", "enterprise"), template.name))


def export(conn, actor, out, *, fmt: str, filters: dict, fields: list[str] | None = None, headers: str = "en",
           reveal: bool = False, encoding: str | None = None, with_history: bool = False,
           excel: bool = False, progress: Callable | None = None) -> int:
    """Write the filtered archives to ``out`` (a path or ``-``); returns how many were written.
    ``excel``: CSV for a double-click in a spreadsheet (``excel_csv``; the command's default for a file).
    ``progress(done, total)`` is told as the rows go out (a terminal's bar)."""
    authz.require(conn, actor, "export")
    if reveal:
        authz.require(conn, actor, "reveal")
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r} (choose from {', '.join(FORMATS)})")
    if fmt == "xlsx" and out == "-":
        raise UsageError("xlsx needs an output file: -o FILE.xlsx")
    if with_history and fmt != "xlsx":
        raise UsageError("--with-history needs --format xlsx (the change log goes on its own sheet)")
    if encoding and fmt != "csv":
        raise UsageError("--encoding applies to CSV only (JSON and vCard are always UTF-8)")
    if excel and fmt != "csv":
        raise UsageError("--excel/--plain apply to CSV only (an XLSX file keeps long numbers as text already)")
    where, params = lookup.list_where(filters, conn)
    plan = Plan(_templates(conn, where, params), fields, fmt, reveal, headers == "zh")
    if plan.sealed:
        plan.keys = crypto.keyring(conn)
    query = f"SELECT {', '.join(plan.columns)} FROM customers{where} ORDER BY archive_no"
    state: dict[str, Any] = {"archive_no": None}
    if progress is not None:
        total = conn.execute(text(f"SELECT COUNT(*) FROM customers{where}"), params).scalar()
        progress(0, total)
        state["progress"] = lambda done: progress(done, total)
    number_at = plan.fields.index("archive_no") if "archive_no" in plan.fields else None

    def rows() -> Iterator:
        opened = (plan.convert(row) for row in lookup.iter_rows(conn, query, params))  # only when asked for
        if progress is not None and fmt != "csv":
            opened = _counted(opened, state["progress"])
        try:
            if fmt in ("csv", "xlsx"):
                for values in opened:
                    if number_at is not None:
                        state["archive_no"] = values[number_at]
                    yield values
            else:
                names = plan.fields
                for values in opened:
                    record = dict(zip(names, values))
                    state["archive_no"] = record.get("archive_no")
                    yield _vcard_record(record) if fmt == "vcf" else record
        finally:
            opened.close()

    extra_sheets = _related_sheets(conn, where, params, with_history, reveal, plan) if fmt == "xlsx" else []
    target = out if out == "-" else Path(out)
    temporary = None if out == "-" else target.with_name(f".{target.name}.part")
    stream = rows()
    try:
        if fmt == "csv":
            headers = [plan.labels.get(name, name) if plan.labels else name for name in plan.fields]
            protect: frozenset[int] = frozenset()
            if excel:
                specs = {**{n: s for t in plan.templates for n, s in t.fields.items()}, **CANONICAL}
                protect = frozenset(excel_csv.excel_positions(plan, specs))
            count = export_csv.write(conn, plan, where, params, temporary or "-", headers, encoding, state, protect)
        else:
            count = write_rows(fmt, temporary or "-", plan.fields, stream, labels=plan.labels,
                               encoding=encoding, extra_sheets=extra_sheets)
        if temporary is not None:
            os.replace(temporary, target)
    except UnicodeEncodeError as exc:
        where_text = f" (archive {state['archive_no']})" if state["archive_no"] else ""
        raise ValidationError("--encoding", encoding, f"{exc.object[exc.start:exc.end]!r}{where_text} cannot be "
                              f"written in {encoding}; use --encoding utf-8") from None
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise ValidationError(None, str(out), f"cannot write the file: {exc.strerror}") from None
    finally:
        stream.close()  # ends the server-side cursor while the connection is still open
        for _name, _headers, sheet_rows in extra_sheets:
            if hasattr(sheet_rows, "close"):
                sheet_rows.close()
        if temporary is not None and temporary.exists():
            temporary.unlink()
    return count


def _vcard_record(record: dict) -> dict:
    """An enterprise with a contact person becomes that person's card, the company as ORG."""
    if record.get("kind") == "enterprise" and record.get("contact_name"):
        return {**record, "kind": "individual", "name": record["contact_name"], "employer": record.get("name"),
                "title": record.get("contact_title") or record.get("title")}
    return record


def _related_sheets(conn, where: str, params: dict, with_history: bool, reveal: bool, plan: Plan) -> list:
    """One sheet per per-archive table with rows for the exported archives (found by a customer_id column)."""
    from sqlalchemy import inspect

    selection = f"SELECT id FROM customers{where}"
    sheets = []
    if with_history:
        query = (f"SELECT c.archive_no, {', '.join('l.' + c for c in _HISTORY_COLUMNS)} FROM change_log l "
                 f"JOIN customers c ON c.id = l.customer_id WHERE l.customer_id IN ({selection}) ORDER BY l.id")
        sheets.append((_SHEET_NAMES["change_log"], ("archive_no",) + _HISTORY_COLUMNS,
                       _history_rows(conn, query, params, reveal)))
    inspector = inspect(conn)
    for table in sorted(inspector.get_table_names()):
        if table in _NOT_RELATED:
            continue
        columns = [column["name"] for column in inspector.get_columns(table)]
        if "customer_id" not in columns:
            continue
        probe = f"SELECT 1 FROM {table} WHERE customer_id IN ({selection}) LIMIT 1"
        if conn.execute(text(probe), params).first() is None:
            continue
        query = (f"SELECT c.archive_no, {', '.join('t.' + c for c in columns)} FROM {table} t "
                 f"JOIN customers c ON c.id = t.customer_id WHERE t.customer_id IN ({selection}) "
                 f"ORDER BY c.archive_no")
        sheets.append((_SHEET_NAMES.get(table, table), ["archive_no"] + columns,
                       lookup.iter_rows(conn, query, params)))
    return sheets


def _history_rows(conn, query: str, params: dict, reveal: bool) -> Iterator[list]:
    """Change-log rows with sealed values opened, and masked unless revealed (also inside logged cards)."""
    for row in lookup.iter_rows(conn, query, params):
        values = list(row)
        field = values[4]
        values[5] = open_logged(conn, field, values[5], reveal)
        values[6] = open_logged(conn, field, values[6], reveal)
        yield values
