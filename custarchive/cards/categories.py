"""Customer categories: code, name and archive-number pattern. Changes are logged."""
from __future__ import annotations

import re

from sqlalchemy import text

from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.errors import Duplicate, NotFound, ValidationError
from custarchive.cards.numbering import check_pattern

NAME_MAX = 100  # categories.name_zh / name_en


def add_category(conn, code: str, name_zh: str, name_en: str, pattern: str, actor: Actor) -> None:
    code = code.strip().upper()
    if not re.fullmatch(r"[A-Z0-9]{1,16}", code):
        raise ValidationError("code", code, "a category code is 1-16 letters or digits")
    for option, name in (("--name", name_zh), ("--name-en", name_en)):
        if len(name or "") > NAME_MAX:
            raise ValidationError(option, name[:20] + "…", f"longer than {NAME_MAX} characters")
    check_pattern(pattern, code)
    if conn.execute(text("SELECT 1 FROM categories WHERE code = :c"), {"c": code}).first():
        raise Duplicate(f"category {code} already exists")
    conn.execute(text("INSERT INTO categories (code, name_zh, name_en, pattern) VALUES (:c, :zh, :en, :p)"),
                 {"c": code, "zh": name_zh, "en": name_en, "p": pattern})
    record(conn, [ChangeEntry(None, None, "category", code, None, {"name_zh": name_zh, "name_en": name_en,
                                                                   "pattern": pattern})], actor)


def set_pattern(conn, code: str, pattern: str, actor: Actor) -> None:
    code = code.strip().upper()
    check_pattern(pattern, code)
    old = conn.execute(text("SELECT pattern FROM categories WHERE code = :c"), {"c": code}).scalar()
    if old is None:
        raise NotFound(f"unknown category {code!r}")
    conn.execute(text("UPDATE categories SET pattern = :p WHERE code = :c"), {"p": pattern, "c": code})
    record(conn, [ChangeEntry(None, None, "category", code, old, pattern)], actor)
