"""Shared builders for sample cards: valid IDs and credit codes, --set argument lists."""
from __future__ import annotations

import itertools

from stdnum.cn import ric, uscc

_seq = itertools.count(100)


def resident_id(birth: str = "19900101", area: str = "110105", seq: int | None = None, male: bool = True) -> str:
    """A valid 18-digit resident ID (check digit computed by python-stdnum)."""
    number = seq if seq is not None else next(_seq)
    number = number * 2 + (1 if male else 0)
    body = f"{area}{birth}{number % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(seed: int | None = None) -> str:
    """A valid unified social credit code."""
    number = seed if seed is not None else next(_seq)
    body = f"91110108MA{number:07d}"[:17]
    body = body[:8] + f"{number:09d}"
    return body + uscc.calc_check_digit(body)


def person(**overrides) -> dict:
    card = {"name": "张伟", "phone": "13912345678", "city": "北京"}
    card.update(overrides)
    return {key: value for key, value in card.items() if value is not None}


def company(**overrides) -> dict:
    card = {"name": "北京华信科技有限公司", "credit_code": credit_code(), "phone": "010-62345678", "industry": "软件"}
    card.update(overrides)
    return {key: value for key, value in card.items() if value is not None}


def set_args(card: dict) -> list[str]:
    args = []
    for key, value in card.items():
        args += ["--set", f"{key}={value}"]
    return args


# Five anchored answers for a qualitative scorecard question (TOML), shared by the scoring tests.
SCORECARD_ANCHORS = """anchors = [
  { zh = "很差", en = "very poor" },
  { zh = "差", en = "poor" },
  { zh = "一般", en = "fair" },
  { zh = "好", en = "good" },
  { zh = "很好", en = "very good" },
]"""
