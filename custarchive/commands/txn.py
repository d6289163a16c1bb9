"""Orders and payments: txn add, txn list."""
from __future__ import annotations

from typing import Optional

import typer

from custarchive.commands.common import JSON_OPTION, WIDE_OPTION, app_context

txn_app = typer.Typer(help="Orders (invoices) and payments, balances and payment record (欠款还款).",
                      no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(txn_app, name="txn")


@txn_app.command("add")
def txn_add(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    txn_type: str = typer.Option(..., "--type", "-t", help="order or payment."),
    amount: str = typer.Option(..., "--amount", "-a", help="Amount, e.g. 1,200.50, ¥1200, 12万."),
    date: Optional[str] = typer.Option(None, "--date", help="Date of the order or payment (default today)."),
    due: Optional[str] = typer.Option(None, "--due", help="Order due date (default: date + payment terms)."),
    reference: Optional[str] = typer.Option(None, "--ref", help="Invoice or receipt number."),
    notes: Optional[str] = typer.Option(None, "--notes"),
    json_: bool = JSON_OPTION,
) -> None:
    """Record an order or a payment; prints its ID."""
    from custarchive.living import txn as money
    from custarchive.commands import render

    app_ctx = app_context(ctx)
    with app_ctx.database(write=True).write() as conn:
        txn = money.add_transaction(conn, ref, txn_type, amount, app_ctx.actor(), date=date, due=due,
                                    reference=reference, notes=notes)
    for warning in txn["warnings"]:
        app_ctx.warn(f"warning: {warning}")
    if json_:
        render.emit_json(txn)
    else:
        typer.echo(txn["id"])


@txn_app.command("list")
def txn_list(
    ctx: typer.Context,
    ref: str = typer.Argument(..., help="Archive number, or a name/phone/ID matching one archive."),
    as_of: Optional[str] = typer.Option(None, "--as-of", metavar="DATE", help="Figures as of DATE (default today)."),
    json_: bool = JSON_OPTION,
    wide: bool = WIDE_OPTION,
) -> None:
    """An archive's orders and payments, balance, overdue amounts and on-time record."""
    import datetime

    from custarchive.cards import lookup

    from custarchive.living import txn as money

    from custarchive.commands import render
    from custarchive.core.values import parse_date

    app_ctx = app_context(ctx)
    day = datetime.date.fromisoformat(parse_date(as_of, "--as-of")) if as_of else None
    with app_ctx.database().read() as conn:
        card = lookup.resolve(conn, ref)
        lines = money.statement(conn, card, day)
        stats = money.payment_stats(conn, card["id"], day)
    if json_:
        render.emit_json({"archive_no": card["archive_no"], "name": card["name"], "transactions": lines,
                          "stats": stats})
        return
    t = app_ctx.t
    status = {"paid": t("已结清", "paid"), "open": t("未到期", "open"), "overdue": t("逾期", "overdue"),
              "future": t("未来", "future")}
    render.table(app_ctx, f"{card['archive_no']} {card['name']}",
                 ["ID", t("日期", "Date"), t("类型", "Type"), t("金额", "Amount"), t("到期", "Due"),
                  t("状态", "Status"), t("结清日", "Settled"), t("延迟天数", "Days late"), t("余额", "Balance"),
                  t("单号", "Ref")],
                 [(ln["id"], ln["date"], t("订单", "order") if ln["type"] == "order" else t("收款", "payment"),
                   float(ln["amount"]), ln["due"], status.get(ln.get("status"), ""), ln.get("settled_on"),
                   ln.get("delay_days") or "", ln["balance"], ln["reference"]) for ln in lines],
                 keep=[0, 1, 3, 4, 8, 9], drop=[6, 7, 5], wide=wide)
    rate = stats["on_time_rate"]
    render.panel(app_ctx, t("付款情况", "Payment record") + f" ({stats['as_of']})", [
        (t("年消费额(近12个月)", "Annual spend (12 months)"), stats["annual_spend"]),
        (t("未结余额", "Outstanding"), stats["outstanding"]),
        (t("逾期金额", "Overdue"), stats["overdue"]),
        (t("预收款", "Prepaid"), stats["prepaid"]),
        (t("按时付款率", "On-time rate"), f"{rate:.0%}" if rate is not None else "—"),
        (t("最长拖欠天数", "Longest delay (days)"), stats["longest_delay_days"]),
        (t("信用额度", "Credit limit"), stats["credit_limit"]),
        (t("余额/额度", "Outstanding / limit"),
         f"{stats['outstanding_to_limit']:.0%}" if stats["outstanding_to_limit"] is not None else "—"),
    ])
