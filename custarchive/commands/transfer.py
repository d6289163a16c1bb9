"""Batch import and export of customer archives."""
from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from custarchive.commands.common import FILTER_OPTIONS, JSON_OPTION, app_context
from custarchive.commands.render import BatchProgress
from custarchive.errors import UsageError


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)


class _RolledBack(Exception):
    """Raised inside the transaction to undo a dry run or a strict import with rejected rows."""


def import_(
    ctx: typer.Context,
    file: str = typer.Argument(..., metavar="FILE|-", help="CSV, XLSX, JSON, JSON Lines or vCard file; - for stdin."),
    format_: str = typer.Option("auto", "--format", "-f", help="auto, csv, xlsx, json, jsonl or vcf."),
    encoding: str = typer.Option("auto", "--encoding", help="Text encoding (auto detects UTF-8/BOM/GBK/GB18030…)."),
    sheet: Optional[str] = typer.Option(None, "--sheet", help="Only this worksheet of an XLSX file."),
    map_file: Optional[str] = typer.Option(None, "--map", metavar="FILE", help='TOML: "原表头" = "field" ("" ignores).'),
    category: Optional[str] = typer.Option(None, "--category", "-c", help="Category for rows without one."),
    template: Optional[str] = typer.Option(None, "--template", "-t", help="Card template for new archives."),
    kind: Optional[str] = typer.Option(None, "--kind", "-k", help="individual or enterprise, for rows without a kind."),
    on_duplicate: str = typer.Option("error", "--on-duplicate", help="error (reject the row), skip, or update."),
    keep_numbers: bool = typer.Option(False, "--keep-numbers", help="Create rows whose archive_no is not in the "
                                      "database under that number (moving archives between databases)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Do everything, then roll back: nothing is written."),
    strict: bool = typer.Option(False, "--strict", help="Import nothing if any row is rejected."),
    errors_out: Optional[str] = typer.Option(None, "--errors", metavar="OUT", help="Write rejected rows (with an error column) here."),
    json_: bool = JSON_OPTION,
) -> None:
    """Import customers from a file in one transaction; rejected rows are reported with their line."""
    from custarchive.commands import render
    from custarchive.core.texts import reason_text
    from custarchive.transfer import importing
    from custarchive.transfer.io import ErrorsWriter, open_rows

    app_ctx = app_context(ctx)
    if on_duplicate not in importing.DUPLICATE_MODES:
        raise UsageError("--on-duplicate must be error, skip or update")
    if errors_out and errors_out != "-" and file != "-" and _same_file(file, errors_out):
        raise UsageError("--errors must not be the input file")
    options = importing.Options(on_duplicate=on_duplicate, template=template, kind=kind, category=category,
                                map_file=map_file, keep_numbers=keep_numbers)
    actor = app_ctx.actor(source="import", batch_id=importing.new_batch_id())
    with open_rows(file, format=format_, encoding=encoding, sheet=sheet) as source:
        db = app_ctx.database(write=True)  # after the file opened: a bad file creates no database
        progress = _ImportProgress(app_ctx, source)
        errors = ErrorsWriter(errors_out, source) if errors_out else None
        echo = render.CappedLines(progress.say)
        warned = render.CappedLines(progress.say, limit=50)
        lang = app_ctx.lang

        def rejected(row, rejection):
            if errors is not None:
                errors.write(row, rejection.reason if not rejection.field else f"{rejection.field}: {rejection.reason}")
            echo(_row_line(app_ctx.t("拒绝", "rejected"), rejection.where, rejection.field, rejection.value,
                           rejection.reason, lang))

        def caution(row, warning):
            warned(_row_line(app_ctx.t("注意", "warning"), warning["where"], None, None, warning["warning"], lang))

        events = importing.Events(rejected=rejected, caution=caution, progress=progress.rows,
                                  notice=lambda message: progress.say(app_ctx.t("提示:", "note: ")
                                                                      + reason_text(message, lang)))
        committed = False
        try:
            with progress, db.write() as conn:
                summary = importing.Importer(conn, actor, options, events).run(source)
                if dry_run or (strict and summary.rejected):
                    raise _RolledBack()
            committed = True
        except _RolledBack:
            pass
        except _integrity_error() as exc:  # a constraint the checks did not foresee: still all or nothing
            from custarchive.errors import CustarchiveError

            raise CustarchiveError(f"import failed, nothing was imported: {exc.orig}") from None
        finally:
            if errors is not None:
                errors.close()
            echo.close(app_ctx.t("条被拒绝的行", "rejected rows"), errors_out)
            warned.close(app_ctx.t("条注意事项", "warnings"), None)
    if app_ctx.discard_created():
        app_ctx.warn(app_ctx.t(f"未建立数据库 {app_ctx.target}(没有导入任何档案)",
                               f"no database was created at {app_ctx.target} (nothing was imported)"))
    _report(app_ctx, summary, committed, dry_run, strict, json_, errors_out)
    if summary.rejected:
        raise typer.Exit(1)


def _row_line(word: str, where: str, field: str | None, value, reason: str, lang: str) -> str:
    """``rejected: line 3: phone: reason ('value')``; in Chinese ``拒绝:第 3 行:手机:原因('value')``."""
    from custarchive.core.texts import field_label, reason_text

    if isinstance(value, str) and len(value) > 200:
        value = value[:200] + "…"
    shown = repr(value) if value not in (None, "") else ""
    if lang != "zh":
        return f"{word}: {where}: " + (f"{field}: " if field else "") + reason + (f" ({shown})" if shown else "")
    import re

    where = re.sub(r"^(line|record) (\d+)$", r"第 \2 行", where)
    where = re.sub(r"^sheet (.+) row (\d+)$", r"工作表 \1 第 \2 行", where)
    label = f"{field_label(field, lang)}:" if field else ""
    return f"{word}:{where}:{label}{reason_text(reason, lang)}" + (f"({shown})" if shown else "")


def _integrity_error():
    from sqlalchemy.exc import IntegrityError

    return IntegrityError


def _same_file(a: str, b: str) -> bool:
    import os

    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


class _ImportProgress(BatchProgress):
    """Import's bar: the share of the file read (its bytes) and the rows so far; ``--quiet`` keeps only
    the rejections among the messages printed above it."""

    def __init__(self, app_ctx, source):
        total = None
        if source.format != "xlsx":
            try:
                total = os.fstat(source.stream.fileno()).st_size or None
            except (OSError, AttributeError, ValueError):
                total = None
        super().__init__(app_ctx, "importing", total, counts=False)
        self.app_ctx, self.source, self.total = app_ctx, source, total

    def rows(self, rows: int) -> None:
        done = None
        if self.total:
            try:
                done = self.source.stream.tell()
            except (OSError, ValueError):
                done = None
        self.update(done, description=f"{rows:,} rows")

    def say(self, message: str) -> None:
        if self.app_ctx.quiet and not message.startswith(("rejected", "拒绝")):
            return
        super().say(message)


def _report(app_ctx, summary, committed: bool, dry_run: bool, strict: bool, json_: bool, errors_out) -> None:
    from custarchive.commands import render

    if dry_run:
        outcome = "dry run: nothing was written"
    elif committed:
        outcome = "committed"
    else:
        outcome = f"strict: {summary.rejected} row(s) rejected, nothing was imported"
    if json_:
        data = summary.as_dict()
        data.update({"dry_run": dry_run, "committed": committed, "outcome": outcome})
        render.emit_json(data)
        return
    t = app_ctx.t
    rows = [(t("读取", "Read"), summary.read), (t("新建", "Inserted"), summary.inserted),
            (t("更新", "Updated"), summary.updated), (t("无变化", "Unchanged"), summary.unchanged),
            (t("跳过", "Skipped"), summary.skipped), (t("拒绝", "Rejected"), summary.rejected),
            (t("疑似重复", "Possible duplicates"), summary.possible_duplicate_count),
            (t("注意事项", "Warnings"), summary.caution_count),
            (t("隐去的值(保留原值)", "Masked cells (kept as stored)"), summary.masked),
            (t("用时", "Elapsed"), f"{summary.elapsed:.2f} 秒" if app_ctx.lang == "zh" else f"{summary.elapsed:.2f} s"),
            (t("批次", "Batch id"), summary.batch_id),
            (t("结果", "Outcome"), _outcome_text(app_ctx, summary, committed, dry_run) if app_ctx.lang == "zh" else outcome)]
    if errors_out and summary.rejected:
        rows.append((t("拒绝行文件", "Rejected rows file"), errors_out))
    render.table(app_ctx, t("导入结果", "Import summary"), [t("项目", "Item"), t("数量", "Value")], rows)
    if summary.possible_duplicates:
        shown = summary.possible_duplicates[:20]
        render.table(app_ctx, t("疑似重复(已导入)", "Possible duplicates (imported)"),
                     [t("行", "Line"), t("档案编号", "Archive no."), t("字段", "Field"), t("值", "Value"),
                      t("相同的档案", "Shared with"), t("判断", "Verdict")],
                     [(d["line"], d["archive_no"], d["field"], d["value"], ", ".join(d["others"]),
                       _verdict(app_ctx, d)) for d in shown],
                     caption=t(f"共 {summary.possible_duplicate_count} 条", f"{summary.possible_duplicate_count} in all"))


def _verdict(app_ctx, item: dict) -> str:
    """The dedupe scorer's word on a listed row: likely the same customer, or related (a shared number)."""
    if item.get("relation") == "duplicate":
        shown = f"{item['probability']:.0%}"
        return f"可能重复({shown})" if app_ctx.lang == "zh" else f"likely duplicate ({shown})"
    return "相关档案" if app_ctx.lang == "zh" else "related"


def _outcome_text(app_ctx, summary, committed: bool, dry_run: bool) -> str:
    if dry_run:
        return "试运行:未写入任何内容"
    if committed:
        return "已导入" + (f"(另有 {summary.rejected} 行被拒绝)" if summary.rejected else "")
    return f"--strict:有 {summary.rejected} 行被拒绝,未导入任何内容"


def export(
    ctx: typer.Context,
    category: Optional[str] = FILTER_OPTIONS["category"],
    kind: Optional[str] = FILTER_OPTIONS["kind"],
    industry: Optional[str] = FILTER_OPTIONS["industry"],
    city: Optional[str] = FILTER_OPTIONS["city"],
    grade: Optional[str] = FILTER_OPTIONS["grade"],
    status: Optional[str] = FILTER_OPTIONS["status"],
    format_: Optional[str] = typer.Option(None, "--format", "-f", help="csv (default), xlsx, json, jsonl or vcf."),
    output: Optional[str] = typer.Option(None, "-o", "--output", metavar="FILE", help="Output file (else stdout)."),
    fields: Optional[str] = typer.Option(None, "--fields", metavar="a,b", help="Only these fields, in this order."),
    headers: str = typer.Option("en", "--headers", help="en (field names) or zh (Chinese labels)."),
    reveal: bool = typer.Option(False, "--reveal", help="Write sensitive values unmasked."),
    encoding: Optional[str] = typer.Option(None, "--encoding", help="CSV encoding: utf-8 (with BOM in a file) or gbk."),
    with_history: bool = typer.Option(False, "--with-history", help="XLSX: add the change log as a sheet."),
    excel: Optional[bool] = typer.Option(None, "--excel/--plain", help='CSV: --excel (the default for a file) '
                                         'writes IDs, phones, accounts as ="…" so a double-click in Excel, WPS or '
                                         'LibreOffice keeps their digits (import reads them back); --plain writes '
                                         'plain CSV for programs (the default on stdout).'),
) -> None:
    """Export archives (filtered like list) to CSV, XLSX, JSON, JSON Lines or vCard."""
    from custarchive.transfer import exporting

    app_ctx = app_context(ctx)
    fmt = format_ or exporting.format_from_name(output)
    if headers not in ("en", "zh"):
        raise UsageError("--headers must be en or zh")
    filters = {"category": category, "kind": kind, "industry": industry, "city": city, "grade": grade,
               "status": status}
    field_list = [name.strip() for name in fields.split(",") if name.strip()] if fields else None
    to_file = bool(output) and output != "-"
    if excel is not None and fmt != "csv":
        raise UsageError(f"--excel/--plain apply to CSV only, not {fmt}"
                         + (" (an XLSX file keeps long numbers as text already)" if fmt == "xlsx" else ""))
    spreadsheet = excel if excel is not None else to_file and fmt == "csv"
    with app_ctx.database().read() as conn, BatchProgress(app_ctx, app_ctx.t("导出中", "exporting")) as bar:
        count = exporting.export(conn, app_ctx.actor(source="export"), output or "-", fmt=fmt, filters=filters,
                                 fields=field_list, headers=headers, reveal=reveal, encoding=encoding,
                                 with_history=with_history, excel=spreadsheet,
                                 progress=bar.update if bar and (to_file or not sys.stdout.isatty()) else None)
    if to_file:
        app_ctx.warn(app_ctx.t(f"已导出 {count} 条到 {output}", f"exported {count} archive(s) to {output}"))
        if fmt == "csv" and not spreadsheet and count:
            app_ctx.warn(app_ctx.t("提示:这是普通 CSV,在 Excel/WPS 中双击打开时身份证号、手机号等长数字会变成 "
                                   "1.1E+17;要在表格软件中打开,请去掉 --plain 或改用 -f xlsx",
                                   "tip: this is plain CSV: opened by double-click in Excel/WPS, long digits (IDs, "
                                   "phones) become 1.1E+17; for a spreadsheet leave out --plain or use -f xlsx"))
    elif fmt == "csv" and not spreadsheet and count and _stdout_is_a_file():
        app_ctx.warn(app_ctx.t("提示:标准输出写的是不带 BOM 的普通 CSV(供程序使用);要在 Excel/WPS 中打开,"
                               "请用 -o 文件名.csv",
                               "tip: stdout gets plain CSV without a BOM (for programs); for a spreadsheet use "
                               "-o FILE.csv"))


def _stdout_is_a_file() -> bool:
    """Whether stdout was redirected to a regular file (``export > b.csv``), not a pipe or a terminal."""
    import stat

    try:
        return stat.S_ISREG(os.fstat(sys.stdout.fileno()).st_mode)
    except (OSError, ValueError, AttributeError):
        return False
