"""Bringing answers in: a filled form or an online survey's export becomes dated responses.

One call imports one file inside the caller's transaction, with the guarantees of customer
import: every rejected row is reported with its line, question, value and reason, and the
caller may roll the whole file back (``--dry-run``, ``--strict``). A response belongs to the
respondent's archive (or to a new archive, or to no one, by option); answers to questions
that name a card field update that card through the ordinary path (``archive.plan_update`` and
``apply_changes``: validated by the card's template, logged with source ``survey``, consent
enforced).
"""
from __future__ import annotations

import datetime as _dt
import hashlib
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text

from custarchive.cards import archive, lookup
from custarchive.core import authz
from custarchive.core.changelog import Actor
from custarchive.core.masking import sensitive_fields
from custarchive.core.sqlutil import bulk_insert, now, select_in
from custarchive.core.templates import load_template
from custarchive.core.values import normalize_text, parse_date
from custarchive.errors import ConfigError, CustarchiveError, UsageError, ValidationError
from custarchive.surveys.questionnaire import Question, Questionnaire

CHANNELS = {
    "mail": ("邮寄", "邮件", "信函", "email", "post"),
    "phone": ("电话", "电话访问", "tel", "telephone"),
    "onsite": ("现场", "线下", "面访", "on-site", "on site", "offline"),
    "online": ("网上", "在线", "网络", "web", "internet"),
}
UNMATCHED = ("anonymous", "new", "reject")
META = {
    "archive_no": ("archive_no", "档案编号", "客户编号", "archive no.", "archive no", "编号"),
    "name": ("name", "姓名", "客户名称", "名称", "respondent", "受访者"),
    "phone": ("phone", "电话", "手机", "手机号", "联系电话"),
    "date": ("date", "日期", "填写日期", "调查日期", "提交时间", "submitted", "submitted at"),
    "channel": ("channel", "渠道", "调查方式", "方式"),
}
FORM_INFO_SHEETS = ("说明", "Instructions", "选项", "Choices")  # the form's own sheets, not answers
CHUNK = 2000
KEEP_REJECTED = 10_000


@dataclass
class Options:
    channel: str = "mail"
    date: str | None = None
    unmatched: str = "anonymous"
    category: str | None = None
    mapping: dict[str, str] = field(default_factory=dict)
    again: bool = False


@dataclass
class Rejection:
    line: int
    where: str
    question: str | None
    value: Any
    reason: str

    def as_dict(self) -> dict:
        return {"line": self.line, "where": self.where, "question": self.question, "value": self.value,
                "reason": self.reason}

    def message(self) -> str:
        what = f"{self.question}: " if self.question else ""
        shown = f" ({self.value!r})" if self.value not in (None, "") else ""
        return f"{self.where}: {what}{self.reason}{shown}"


@dataclass
class Summary:
    batch_id: str
    survey: str
    read: int = 0
    stored: int = 0
    with_archive: int = 0
    anonymous: int = 0
    new_archives: int = 0
    card_changes: int = 0
    unanswered: int = 0
    rejected: int = 0
    rejected_rows: list[Rejection] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"batch_id": self.batch_id, "survey": self.survey, "read": self.read, "stored": self.stored,
                "with_archive": self.with_archive, "anonymous": self.anonymous, "new_archives": self.new_archives,
                "card_changes": self.card_changes, "unanswered": self.unanswered, "rejected": self.rejected,
                "rejected_rows": [r.as_dict() for r in self.rejected_rows], "notices": self.notices}


def parse_channel(raw: str) -> str:
    text = normalize_text(raw).lower()
    for channel, names in CHANNELS.items():
        if text == channel or text in names:
            return channel
    raise ValidationError("channel", raw, f"not a survey channel (use {', '.join(CHANNELS)})")


def load_mapping(spec: list[str]) -> dict[str, str]:
    """``--map``: a TOML file of ``"their header" = "question id"`` lines, or ``HEADER=QUESTION`` pairs."""
    import tomllib

    mapping: dict[str, str] = {}
    for item in spec:
        if item.endswith(".toml"):
            try:
                data = tomllib.loads(Path(item).read_text(encoding="utf-8"))
            except OSError as exc:
                raise UsageError(f"--map {item}: cannot read: {exc.strerror}") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{item}: {exc}") from None
            data = data.get("columns", data)
            mapping.update({normalize_text(k): str(v) for k, v in data.items()})
        else:
            header, sep, target = item.rpartition("=")
            if not sep or not header.strip():
                raise UsageError(f"--map expects a .toml file or HEADER=QUESTION, got {item!r}")
            mapping[normalize_text(header)] = target.strip()
    return mapping


def new_batch_id() -> str:
    return f"srv-{_dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def file_digest(path: str) -> str | None:
    if path == "-" or not Path(path).is_file():
        return None
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def check_mapping(q: Questionnaire, mapping: dict[str, str]) -> None:
    for header, target in mapping.items():
        if target and target not in q.questions and target not in META:
            raise UsageError(f"--map: {header!r} → {target!r} is neither a question of {q.name} "
                             f"nor one of {', '.join(META)}")


class Plan:
    """Which column of a table is which question (or respondent detail)."""

    def __init__(self, q: Questionnaire, headers: list[str], mapping: dict[str, str]):
        check_mapping(q, mapping)
        names: dict[str, Any] = {}
        for meta, aliases in META.items():
            for alias in aliases:
                names[alias.lower()] = ("meta", meta)
        for question in q.questions.values():
            for alias in (question.id, question.text_zh, question.text_en, q.header(question, "zh"),
                          q.header(question, "en"), f"q{question.number}", *question.aliases):
                names[normalize_text(alias).lower()] = ("q", question)
        self.columns: list[tuple[int, str, Any]] = []
        self.unknown: list[str] = []
        seen: set[str] = set()
        for index, header in enumerate(headers):
            key = normalize_text(header)
            target = mapping.get(key)
            found: Any
            if target is not None:
                if target == "":
                    continue
                found = ("q", q.questions[target]) if target in q.questions else ("meta", target)
            else:
                found = names.get(key.lower())
            if found is None:
                if key:
                    self.unknown.append(header)
                continue
            label = found[1] if found[0] == "meta" else "Q" + str(found[1].number)
            if label in seen:
                raise ValidationError(None, header, f"two columns answer {label}")
            seen.add(label)
            self.columns.append((index, found[0], found[1]))
        if not any(kind == "q" for _i, kind, _t in self.columns):
            raise ValidationError(None, None, f"no column answers a question of {q.name} "
                                  f"(headers such as {q.header(next(iter(q.questions.values())), 'zh')!r}, "
                                  "a question id, or --map)")


class Importer:
    def __init__(self, conn, q: Questionnaire, actor: Actor, options: Options, on_reject=None):
        if options.unmatched not in UNMATCHED:
            raise UsageError(f"--unmatched must be {', '.join(UNMATCHED)}")
        self.conn, self.q, self.actor, self.options = conn, q, actor, options
        self.summary = Summary(actor.batch_id or new_batch_id(), q.name)
        self.on_reject = on_reject or (lambda rejection: None)
        self.default_date = parse_date(options.date, "--date") if options.date else _dt.date.today().isoformat()
        self.default_channel = parse_channel(options.channel)
        self._template_notes: set[tuple[str, str]] = set()
        check_mapping(q, options.mapping)

    def run(self, source, file_name: str | None = None, digest: str | None = None) -> Summary:
        authz.require(self.conn, self.actor, "import")
        if digest and not self.options.again:
            earlier = self.conn.execute(text("SELECT id FROM survey_batches WHERE survey = :s AND sha256 = :h"),
                                        {"s": self.q.name, "h": digest}).scalar()
            if earlier:
                raise ValidationError(None, file_name, f"this file was imported already (batch {earlier}); "
                                      "use --again to import it a second time")
        for table in source.tables():
            if table.name in FORM_INFO_SHEETS:
                continue
            plan = Plan(self.q, table.headers, self.options.mapping)
            for header in plan.unknown:
                self._notice(f"unknown column {header!r} ignored")
            chunk: list = []
            for row in table.rows:
                self.summary.read += 1
                chunk.append(row)
                if len(chunk) >= CHUNK:
                    self._chunk(plan, chunk)
                    chunk = []
            if chunk:
                self._chunk(plan, chunk)
        if not self.summary.stored:  # nothing kept: the same file, once corrected or its archives added, may come again
            return self.summary
        bulk_insert(self.conn, "survey_batches", ("id", "survey", "file_name", "sha256", "responses", "created_at",
                                                  "created_by"),
                    [(self.summary.batch_id, self.q.name, (file_name or "")[:300], digest, self.summary.stored, now(),
                      self.actor.operator)])
        return self.summary

    # --- one chunk -------------------------------------------------------------------------

    def _chunk(self, plan: Plan, rows: list) -> None:
        parsed = []
        for row in rows:
            if row.error:
                self._reject(row, None, None, row.error)
                continue
            result = self._parse(plan, row)
            if result is not None:
                parsed.append((row, *result))
        numbers = sorted({meta["archive_no"] for _row, meta, _answers in parsed if meta.get("archive_no")})
        known = self._archives(numbers)
        ready = []
        for row, meta, answers in parsed:
            try:
                customer_id = self._respondent(meta, answers, known)
            except CustarchiveError as exc:
                self._reject_error(row, exc)
                continue
            if customer_id is False:
                self._reject(row, "archive_no", None, "no archive number, and --unmatched reject")
                continue
            ready.append((row, meta, answers, customer_id))
        if not ready:
            return
        last = self.conn.exec_driver_sql("SELECT MAX(id) FROM survey_responses").scalar() or 0
        stamp = now()
        bulk_insert(self.conn, "survey_responses",
                    ("survey", "customer_id", "responded_on", "channel", "batch_id", "line", "created_at", "created_by"),
                    [(self.q.name, cid, meta["date"], meta["channel"], self.summary.batch_id, row.line, stamp,
                      self.actor.operator) for row, meta, _answers, cid in ready])
        ids = [rid for (rid,) in self.conn.exec_driver_sql(
            f"SELECT id FROM survey_responses WHERE id > {int(last)} ORDER BY id")]
        if len(ids) != len(ready):  # the write lock is held: nobody else inserts
            raise CustarchiveError("survey import: response ids did not come back in order; nothing was imported")
        answer_rows = []
        for rid, (_row, _meta, answers, cid) in zip(ids, ready):
            self.summary.stored += 1
            if cid is None:
                self.summary.anonymous += 1
            else:
                self.summary.with_archive += 1
            for question, value in answers:
                answer_rows.extend(_answer_rows(rid, cid, question, value))
        bulk_insert(self.conn, "survey_answers", ("response_id", "question", "item", "choice", "number", "text",
                                                  "customer_id"), answer_rows)

    def _parse(self, plan: Plan, row) -> tuple[dict, list] | None:
        cells = row.cells
        meta: dict[str, Any] = {}
        answers: list[tuple[Question, Any]] = []
        bad = False
        for index, kind, target in plan.columns:
            raw = cells[index] if index < len(cells) else ""
            if kind == "meta":
                meta[target] = normalize_text(raw) if raw else ""
                continue
            try:
                value = target.parse(raw)
            except ValidationError as exc:
                self._reject(row, target.id, raw, exc.reason, count=not bad)
                bad = True
                continue
            if value is None:
                if target.required:
                    self._reject(row, target.id, None, "is required", count=not bad)
                    bad = True
                continue
            answers.append((target, value))
        try:
            meta["date"] = parse_date(meta["date"], "date") if meta.get("date") else self.default_date
            meta["channel"] = parse_channel(meta["channel"]) if meta.get("channel") else self.default_channel
        except ValidationError as exc:
            self._reject(row, exc.field, exc.value, exc.reason, count=not bad)
            bad = True
        if not bad and not answers:  # a pre-filled row of a customer who did not answer: not a response
            self.summary.unanswered += 1
            return None
        return None if bad else (meta, answers)

    def _archives(self, numbers: list[str]) -> dict[str, dict]:
        if not numbers:
            return {}
        cards = {}
        rows = select_in(self.conn, "SELECT id, archive_no, status, merged_into FROM customers "
                                    "WHERE archive_no IN ({marks})", numbers)
        for cid, number, status, merged_into in rows:
            cards[number] = {"id": cid, "status": status, "merged_into": merged_into}
        return cards

    def _respondent(self, meta: dict, answers: list, known: dict) -> int | None | bool:
        number = meta.get("archive_no")
        mapped = {q.field: value for q, value in answers if q.field}
        if number:
            found = known.get(number)
            if found is None:
                raise ValidationError("archive_no", number, "no such archive")
            if found["status"] == "erased":
                raise ValidationError("archive_no", number, "the archive was erased")
            cid = found["merged_into"] if found["status"] == "merged" and found["merged_into"] else found["id"]
            if mapped:
                self._update_card(cid, mapped, answers)
            return cid
        if self.options.unmatched == "reject":
            return False
        if self.options.unmatched == "anonymous":
            return None
        if not meta.get("name"):
            raise ValidationError("name", None, "a new archive needs the respondent's name (--unmatched new)")
        raw = {"name": meta["name"], **({"phone": meta["phone"]} if meta.get("phone") else {})}
        template = load_template("individual")
        raw.update({name: _card_value(value) for name, value in mapped.items() if template.field(name)})
        number = archive.add_card(self.conn, raw, self.actor, template="individual", category=self.options.category)
        self.summary.new_archives += 1
        created = lookup.get_by_number(self.conn, number)
        assert created is not None  # made just above, in this transaction
        return created["id"]

    def _update_card(self, cid: int, mapped: dict, answers: list) -> None:
        card = lookup.fetch_by_ids(self.conn, [cid])[0]
        template = load_template(card["template"])
        sets = {}
        for name, value in mapped.items():
            if template.field(name) is None:
                if (template.name, name) not in self._template_notes:
                    self._template_notes.add((template.name, name))
                    self._notice(f"template {template.name!r} has no field {name!r}: those answers are kept, "
                                 "the cards are not changed")
                continue
            sets[name] = _card_value(value)
        try:
            changes = archive.plan_update(self.conn, card, sets, [])
            if changes:
                archive.ensure_writable(card)
        except ValidationError as exc:
            question = next((q.id for q, _v in answers if q.field == exc.field), exc.field)
            raise ValidationError(question, exc.value, f"card field {exc.field}: {exc.reason}") from None
        try:
            self.summary.card_changes += archive.apply_changes(self.conn, card, changes, self.actor)
        except ValidationError:
            raise
        except CustarchiveError as exc:  # refused before anything was written (consent, role)
            secret = sensitive_fields(card["template"])
            field = next((name for name in changes if name in secret), next(iter(changes)))
            question = next((q.id for q, _v in answers if q.field == field), field)
            raise ValidationError(question, None, f"card field {field}: {exc.message}") from None

    # --- reporting -------------------------------------------------------------------------

    def _notice(self, message: str) -> None:
        self.summary.notices.append(message)

    def _reject(self, row, question: str | None, value: Any, reason: str, count: bool = True) -> None:
        rejection = Rejection(row.line, row.where, question, value, reason)
        if count:
            self.summary.rejected += 1
        if len(self.summary.rejected_rows) < KEEP_REJECTED:
            self.summary.rejected_rows.append(rejection)
        self.on_reject(rejection)

    def _reject_error(self, row, exc: CustarchiveError) -> None:
        if isinstance(exc, ValidationError):
            self._reject(row, exc.field, exc.value, exc.reason)
        else:
            self._reject(row, None, None, exc.message)


def _card_value(value: Any) -> Any:
    return repr(value) if isinstance(value, float) else value


def _answer_rows(rid: int, cid: int | None, question: Question, value: Any) -> list[tuple]:
    kind = question.type
    if kind == "multi":
        return [(rid, question.id, item, choice, None, None, cid) for item, choice in enumerate(value)]
    if kind == "choice":
        return [(rid, question.id, 0, value, None, None, cid)]
    if kind in ("scale", "number"):
        return [(rid, question.id, 0, None, float(value), None, cid)]
    return [(rid, question.id, 0, None, None, str(value), cid)]


class _Interview:
    """What ``Importer.run`` reads (the shape of ``transfer.io`` tables), holding one interview's answers."""

    def __init__(self, headers: list[str], cells: list[str]):
        self.name = None
        self.headers = headers
        self.line, self.cells, self.error, self.where = 1, cells, None, "interview"
        self.rows = iter([self])

    def tables(self):
        yield self


def record_interview(conn, q: Questionnaire, actor: Actor, archive_no: str, answers: dict[str, Any],
                     channel: str = "phone", date: str | None = None) -> Summary:
    """One interview's answers, stored exactly as an imported row is (same checks, card updates and log)."""
    headers = ["archive_no", "channel", *answers]
    cells = [archive_no, channel, *("、".join(v) if isinstance(v, list) else str(v) for v in answers.values())]
    importer = Importer(conn, q, actor, Options(channel=channel, date=date, unmatched="reject"))
    summary = importer.run(_Interview(headers, cells), "interview")
    if summary.rejected:
        first = summary.rejected_rows[0]
        raise ValidationError(first.question, first.value, first.reason)
    return summary
