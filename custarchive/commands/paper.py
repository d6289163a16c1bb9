"""The paper archive (双轨制): print a customer card to file in its folder."""
from __future__ import annotations

import typer

from custarchive.commands.common import app_context


def register(app: typer.Typer) -> None:
    app.command("print")(print_card)


def output_path(output: str, force: bool, allowed: tuple[str, ...] = (".pdf", ".html", ".htm")):
    """The file to write: a known kind, and never an existing file unless --force."""
    from pathlib import Path

    from custarchive.errors import UsageError, ValidationError

    target = Path(output).expanduser()
    if target.suffix.lower() not in allowed:
        raise UsageError(f"-o must end in {' or '.join(allowed[:2])}")
    if target.exists() and not force:
        raise ValidationError("-o", str(target), "exists already (use --force to replace it)")
    return target


def print_card(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    output: str = typer.Option(..., "-o", "--output", metavar="FILE.pdf|FILE.html", help="Where to write the card."),
    reveal: bool = typer.Option(False, "--reveal", help="Print sensitive values unmasked (logged)."),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
) -> None:
    """The customer card (客户资料卡) laid out by its template's sections, ready to print on A4 and file."""
    from custarchive.cards import lookup
    from custarchive.errors import ValidationError
    from custarchive.paper.card import print_card as render

    app_ctx = app_context(ctx)
    target = output_path(output, force)
    db = app_ctx.database()
    with (db.write() if reveal else db.read()) as conn:
        card = lookup.resolve(conn, ref)
        if reveal:
            from custarchive.core.authz import record_reveal

            record_reveal(conn, app_ctx.actor(), [card], "print")
        try:
            render(conn, card, str(target), app_ctx.lang, reveal)
        except OSError as exc:
            raise ValidationError("-o", str(target), f"cannot write: {exc.strerror}") from None
    app_ctx.warn(app_ctx.t(f"已写入 {target}", f"wrote {target}"))
