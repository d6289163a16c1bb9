"""Archive documents: doc add, list, open, export, classes."""
from __future__ import annotations

import sys
from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, WIDE_OPTION, app_context

doc_app = typer.Typer(help="Archive documents and the archive catalogue (档案目录).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(doc_app, name="doc")


def _class_label(app_ctx, number: int) -> str:
    from custarchive.living.documents import document_classes

    spec = document_classes().get(number)
    return f"{number} {spec.label(app_ctx.lang)}" if spec else str(number)


@doc_app.command("add")
def doc_add(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    doc_class: str = typer.Option(..., "--class", metavar="1-5", help="1 基础资料, 2 合同协议, 3 欠款还款, 4 投诉折价, 5 同行业动态."),
    title: str = typer.Option(..., "--title", help="What the document is."),
    date: Optional[str] = typer.Option(None, "--date", help="Date of the document (signing date for contracts)."),
    file: Optional[str] = typer.Option(None, "--file", metavar="PATH", help="A file to keep with it (copied into the archive's file store)."),
    notes: Optional[str] = typer.Option(None, "--notes"),
    json_: bool = JSON_OPTION,
) -> None:
    """File a document in an archive; prints its document number."""
    from custarchive.living import documents
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    db = app_ctx.database(write=True)
    store = documents.store_for(db)
    with db.write() as conn:
        doc = documents.add_document(conn, ref, doc_class, title, app_ctx.actor(), store, doc_date=date, file=file,
                                     notes=notes)
    if json_:
        render.emit_json(doc)
    else:
        typer.echo(doc["doc_no"])


@doc_app.command("list")
def doc_list(ctx: typer.Context, ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."), json_: bool = JSON_OPTION,
             wide: bool = WIDE_OPTION) -> None:
    """The archive catalogue (档案目录): documents by class."""
    from custarchive.living import documents
    from custarchive.cards import lookup
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ref)
        docs = documents.catalogue(conn, card)
    classes = documents.document_classes()
    if json_:
        render.emit_json({"archive_no": card["archive_no"], "name": card["name"], "classes": [
            {"class": number, "label": spec.label(app_ctx.lang), "documents": [
                {"doc_no": d["doc_no"], "title": d["title"], "date": d["doc_date"], "file_name": d["file_name"],
                 "sha256": d["sha256"], "size": d["size"], "former_no": d["former_no"], "notes": d["notes"],
                 "created_at": d["created_at"], "created_by": d["created_by"]}
                for d in docs if d["doc_class"] == number]}
            for number, spec in classes.items()]})
        return
    t = app_ctx.t
    rows = []
    for number in classes:
        group = [d for d in docs if d["doc_class"] == number]
        rows.append((_class_label(app_ctx, number), "", "", "", t(f"{len(group)} 份", f"{len(group)} document(s)")))
        rows += [("", d["doc_no"], d["title"], d["doc_date"], d["file_name"] or "") for d in group]
    render.table(app_ctx, t(f"档案目录 {card['archive_no']} {card['name']}", f"Catalogue {card['archive_no']} {card['name']}"),
                 [t("类别", "Class"), t("编号", "No."), t("标题", "Title"), t("日期", "Date"), t("文件", "File")], rows,
                 keep=[1, 3], drop=[4], wide=wide)


@doc_app.command("catalogue")
def doc_catalogue(
    ctx: typer.Context,
    ref: Optional[str] = typer.Argument(None, help="One archive; or use --category for a whole drawer."),
    category: Optional[str] = typer.Option(None, "--category", help="Every active archive of this category, in number order."),
    output: str = typer.Option(..., "-o", "--output", metavar="FILE.pdf|FILE.html", help="Where to write the covers."),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
) -> None:
    """The 《客户档案目录》 cover for the front of the archive folder, printable on A4."""
    from custarchive.cards import lookup
    from custarchive.commands.paper import output_path
    from custarchive.errors import UsageError, ValidationError
    from custarchive.paper.card import drawer, print_catalogue

    app_ctx = app_context(ctx)
    if (ref is None) == (category is None):
        raise UsageError("give one archive (REF) or --category, not both")
    target = output_path(output, force)
    with app_context(ctx).database().read() as conn:
        cards = [lookup.resolve(conn, ref)] if ref is not None else drawer(conn, category or "")
        try:
            count = print_catalogue(conn, cards, str(target), app_ctx.lang)
        except OSError as exc:
            raise ValidationError("-o", str(target), f"cannot write: {exc.strerror}") from None
    app_ctx.warn(app_ctx.t(f"已写入 {target}({count} 份档案)", f"wrote {target} ({count} archive(s))"))


@doc_app.command("classes")
def doc_classes(ctx: typer.Context, json_: bool = JSON_OPTION) -> None:
    """The five document classes and what belongs in each."""
    from custarchive.commands import render
    from custarchive.living.documents import document_classes

    app_ctx = app_context(ctx)
    classes = document_classes().values()
    lang = app_ctx.lang
    if json_:
        render.emit_json([{"class": c.number, "label_zh": c.label_zh, "label_en": c.label_en,
                           "examples": c.examples_zh if lang == "zh" else c.examples_en, "order": c.order}
                          for c in classes])
        return
    render.table(app_ctx, None, [app_ctx.t("类", "Class"), app_ctx.t("名称", "Name"), app_ctx.t("包括", "Includes")],
                 [(c.number, c.label(lang), c.examples_zh if lang == "zh" else c.examples_en) for c in classes])


@doc_app.command("export")
def doc_export(
    ctx: typer.Context,
    ref: str = typer.Argument(...),
    docno: str = typer.Argument(..., help="Document number, e.g. 2-003 or A-2026-00001/2-003."),
    output: str = typer.Option(..., "-o", "--output", metavar="PATH", help="Where to write the file (- for stdout)."),
    force: bool = typer.Option(False, "--force", help="Replace PATH if it exists."),
) -> None:
    """Give back a document's file, after checking its SHA-256."""
    import shutil
    from pathlib import Path

    from custarchive.errors import ValidationError

    doc, path = _fetch(ctx, ref, docno)
    if output == "-":
        with open(path, "rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    target = Path(output).expanduser()
    if target.is_dir():
        target = target / (doc["file_name"] or doc["sha256"])
    if target.exists() and not force:
        raise ValidationError("-o", str(target), "exists already (use --force to replace it)")
    try:
        shutil.copyfile(path, target)
        target.chmod(0o600)
    except OSError as exc:
        raise ValidationError("-o", str(target), f"cannot write: {exc.strerror}") from None
    app_context(ctx).warn(f"{doc['doc_no']} → {target}")


@doc_app.command("open")
def doc_open(ctx: typer.Context, ref: str = typer.Argument(...), docno: str = typer.Argument(...)) -> None:
    """Open a document's file in the system viewer (a private temporary copy)."""
    import shutil
    import tempfile
    from pathlib import Path

    doc, path = _fetch(ctx, ref, docno)
    folder = Path(tempfile.mkdtemp(prefix="custarchive-"))
    copy = folder / (doc["file_name"] or doc["sha256"])
    shutil.copyfile(path, copy)
    copy.chmod(0o600)
    typer.echo(str(copy))
    if sys.stdout.isatty():
        typer.launch(str(copy))


def _fetch(ctx, ref: str, docno: str):
    from custarchive.living import documents

    app_ctx = app_context(ctx)
    db = app_ctx.database()
    with db.read() as conn:
        return documents.fetch_file(conn, ref, docno, app_ctx.actor(), documents.store_for(db))
