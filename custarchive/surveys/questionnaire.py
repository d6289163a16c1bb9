"""Questionnaires as data: sections of questions in TOML, and the one parser of an answer.

The seed makes the questionnaire the fundamental tool for collecting customer information
(邮件、电话、线下调查). Built-in questionnaires live in ``custarchive/data/surveys``; a user adds
or overrides one by dropping ``NAME.toml`` into ``<config dir>/surveys`` (as card templates).
A question may name a card ``field``: its answer then updates the respondent's card.
"""
from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custarchive import config
from custarchive.core.values import normalize_text, parse_amount, parse_choice, parse_date
from custarchive.errors import ConfigError, ValidationError

TYPES = ("choice", "multi", "scale", "number", "date", "text")
SCALE = range(1, 6)
MAX_TEXT = 2000
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_MULTI_SPLIT = re.compile(r"[,;、|/]")
# columns of a form that say who answered, when and how (responses.META): never a question's id
RESERVED = ("archive_no", "name", "phone", "date", "channel")


@dataclass(frozen=True)
class Question:
    id: str
    type: str
    text_zh: str
    text_en: str
    choices: tuple[dict, ...] = ()
    anchors: tuple[dict, ...] = ()
    field: str | None = None
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = MAX_TEXT
    number: int = 0
    aliases: tuple[str, ...] = ()  # other headers an import recognises (e.g. 购买频率 for a card's own column)

    def text(self, lang: str) -> str:
        return self.text_zh if lang == "zh" else self.text_en

    def choice_label(self, value: str, lang: str) -> str:
        for choice in self.choices:
            if choice["value"] == value:
                return choice["label_zh"] if lang == "zh" else choice["label_en"]
        return value

    def options(self, lang: str) -> list[str]:
        """What a person picks from: choice labels, or the scale points with their anchors."""
        if self.type == "scale":
            return [f"{point} {self.anchor(point, lang)}" for point in SCALE]
        return [c["label_zh"] if lang == "zh" else c["label_en"] for c in self.choices]

    def anchor(self, point: int, lang: str) -> str:
        anchor = self.anchors[point - 1]
        return anchor["zh"] if lang == "zh" else anchor["en"]

    def parse(self, raw: Any) -> Any:
        """One answer as stored: a choice value, a list of them, a number, an ISO date or text.

        Empty means "no answer" (None); anything else that does not fit is refused, never guessed.
        """
        if raw is None:
            return None
        text = normalize_text(raw) if not isinstance(raw, (int, float)) else raw
        if text == "":
            return None
        where = self.id
        if self.type == "choice":
            return self._choice(str(text))
        if self.type == "multi":
            values = [self._choice(item) for item in _MULTI_SPLIT.split(str(text)) if item.strip()]
            return list(dict.fromkeys(values)) or None
        if self.type == "scale":
            return self._scale(text)
        if self.type == "number":
            number = parse_amount(str(text), where)
            if self.minimum is not None and number < self.minimum:
                raise ValidationError(where, raw, f"must be at least {self.minimum:g}")
            if self.maximum is not None and number > self.maximum:
                raise ValidationError(where, raw, f"must be at most {self.maximum:g}")
            return number
        if self.type == "date":
            return parse_date(str(text), where)
        value = str(raw).strip()
        if len(value) > self.max_length:
            raise ValidationError(where, value[:20] + "…", f"longer than {self.max_length} characters")
        return value

    def _choice(self, text: str) -> str:
        item = normalize_text(text)
        if item.isdigit() and 1 <= int(item) <= len(self.choices):  # "2" = the second option, as on paper
            return self.choices[int(item) - 1]["value"]
        return parse_choice(item, self.choices, self.id)

    def _scale(self, text: Any) -> int:
        if isinstance(text, float) and text.is_integer():
            text = int(text)
        item = normalize_text(text)
        head = item.split(" ", 1)[0]
        if head.isdigit() and int(head) in SCALE:
            return int(head)
        for point in SCALE:
            anchor = self.anchors[point - 1]
            if item.lower() in (anchor["zh"], anchor["en"].lower()):
                return point
        raise ValidationError(self.id, text, "not a point of the 1-5 scale (1 to 5, or its words)")


@dataclass(frozen=True)
class Section:
    id: str
    label_zh: str
    label_en: str
    questions: tuple[Question, ...]

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en


@dataclass(frozen=True)
class Questionnaire:
    name: str
    title_zh: str
    title_en: str
    intro_zh: str
    intro_en: str
    sections: tuple[Section, ...]
    path: str

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def intro(self, lang: str) -> str:
        return self.intro_zh if lang == "zh" else self.intro_en

    @functools.cached_property
    def questions(self) -> dict[str, Question]:
        return {q.id: q for section in self.sections for q in section.questions}

    def header(self, question: Question, lang: str) -> str:
        """The column header of a question on a form: its number and text, e.g. ``Q3 您的受教育程度``."""
        return f"Q{question.number} {question.text(lang)}"


def _dirs() -> list[Path]:
    return [config.package_data("surveys"), config.config_dir() / "surveys"]


def questionnaire_files() -> dict[str, Path]:
    """Questionnaire name → file; a user's file shadows the built-in of the same name."""
    found: dict[str, Path] = {}
    for directory in _dirs():
        if directory.is_dir():
            for path in sorted(directory.glob("*.toml")):
                found[path.stem] = path
    return found


def load(name: str) -> Questionnaire:
    files = questionnaire_files()
    path = files.get(name)
    if path is None and name.endswith(".toml") and Path(name).is_file():
        path = Path(name)
    if path is None:
        raise ConfigError(f"unknown questionnaire {name!r} (known: {', '.join(sorted(files))})")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return build(data, path)


def list_all() -> list[Questionnaire]:
    return [load(name) for name in questionnaire_files()]


_DEFAULT_ANCHORS = ({"zh": "很差", "en": "Very poor"}, {"zh": "差", "en": "Poor"}, {"zh": "一般", "en": "Fair"},
                    {"zh": "好", "en": "Good"}, {"zh": "很好", "en": "Very good"})


def build(data: dict, path: Path) -> Questionnaire:
    where = str(path)
    name = data.get("name", path.stem)
    if not isinstance(name, str) or not re.match(r"^[a-z0-9][a-z0-9_-]*$", name):
        raise ConfigError(f"{where}: name {name!r} must be lower-case letters, digits, - or _")
    anchors = _anchors(data.get("anchors"), _DEFAULT_ANCHORS, where)
    sections, seen, number = [], set(), 0
    for index, raw_section in enumerate(data.get("sections", []), 1):
        sid = raw_section.get("id") or f"section{index}"
        questions = []
        for raw in raw_section.get("questions", []):
            number += 1
            question = _question(raw, anchors, number, f"{where}: section {sid}")
            if question.id in seen:
                raise ConfigError(f"{where}: question {question.id!r} appears twice")
            seen.add(question.id)
            questions.append(question)
        sections.append(Section(sid, raw_section.get("label_zh", sid), raw_section.get("label_en", sid), tuple(questions)))
    if not seen:
        raise ConfigError(f"{where}: a questionnaire needs at least one question")
    return Questionnaire(name, data.get("title_zh", name), data.get("title_en", name), data.get("intro_zh", ""),
                         data.get("intro_en", ""), tuple(sections), where)


def _anchors(raw, default, where: str) -> tuple[dict, ...]:
    if raw is None:
        return tuple(default)
    if not isinstance(raw, list) or len(raw) != 5 or not all(isinstance(a, dict) and "zh" in a and "en" in a for a in raw):
        raise ConfigError(f"{where}: a scale needs five anchors, each with zh and en")
    return tuple({"zh": str(a["zh"]), "en": str(a["en"])} for a in raw)


def _question(raw: dict, anchors, number: int, where: str) -> Question:
    qid = raw.get("id", "")
    if not isinstance(qid, str) or not _ID.match(qid):
        raise ConfigError(f"{where}: question id {qid!r} must be snake_case English")
    if qid in RESERVED:
        raise ConfigError(f"{where}: question id {qid!r} is reserved for the respondent columns ({', '.join(RESERVED)})")
    kind = raw.get("type")
    if kind not in TYPES:
        raise ConfigError(f"{where}: question {qid!r} has unknown type {kind!r} (choose from {', '.join(TYPES)})")
    choices = []
    for choice in raw.get("choices", ()):
        if isinstance(choice, str):
            choice = {"value": choice, "label_zh": choice, "label_en": choice}
        if not isinstance(choice, dict) or "value" not in choice:
            raise ConfigError(f"{where}: question {qid!r}: each choice needs a value")
        label_zh = str(choice.get("label_zh", choice["value"]))
        choices.append({"value": str(choice["value"]), "label_zh": label_zh,
                        "label_en": str(choice.get("label_en", label_zh)), "aliases": tuple(choice.get("aliases", ()))})
    if kind in ("choice", "multi") and len(choices) < 2:
        raise ConfigError(f"{where}: question {qid!r} needs at least two choices")
    if kind not in ("choice", "multi") and choices:
        raise ConfigError(f"{where}: question {qid!r} is {kind}, it takes no choices")
    field = raw.get("field")
    if field is not None and (not isinstance(field, str) or not _ID.match(field)):
        raise ConfigError(f"{where}: question {qid!r}: field {field!r} is not a card field name")
    if field is not None and kind in ("multi", "scale"):
        raise ConfigError(f"{where}: question {qid!r}: a {kind} answer cannot update a card field")
    return Question(
        id=qid, type=kind, text_zh=str(raw.get("text_zh", qid)), text_en=str(raw.get("text_en", raw.get("text_zh", qid))),
        choices=tuple(choices), anchors=_anchors(raw.get("anchors"), anchors, f"{where}: question {qid!r}"),
        field=field, required=bool(raw.get("required", False)), minimum=raw.get("minimum"), maximum=raw.get("maximum"),
        max_length=int(raw.get("max_length", MAX_TEXT)), number=number,
        aliases=tuple(str(a) for a in raw.get("aliases", ())) + ((field,) if field else ()),
    )
