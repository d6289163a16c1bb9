"""The bulk parsers (bound per field, with fast paths) accept and refuse exactly what parse_value does."""
from __future__ import annotations

import random
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.cn import uscc

from custarchive.errors import ValidationError
from custarchive.core.fields import CANONICAL
from custarchive.core.templates import field_parser, load_template, parse_field
from custarchive.core.values import parse_credit_code

SPECS = list(CANONICAL.values()) + [spec for name in ("individual", "enterprise")
                                    for spec in load_template(name).fields.values() if spec.name not in CANONICAL]
SAMPLES = ["", " ", "张三", "  张  三 ", "ＡＢＣ１２３", "=1+1", "1,200.50", "¥1200", "12万", "-3", "0", "+86 139 1234 5678",
           "13912345678", "010-12345678", "2024/1/5", "2024年1月5日", "20240105", "2024-02-30", "a@B.CN", "true", "否",
           "male", "女", "本科", "11010519491231002X", "110105194912310029", "91110000600037341L",
           "91110000600037341l", "9111-0000-6000-3734-1L", "x" * 300, "1e5", "\u3000", "１２３", "\t5\n"]


def outcome(parse, spec, raw):
    try:
        return "ok", parse(raw)
    except ValidationError as exc:
        return "refused", exc.field, exc.reason


@pytest.mark.parametrize("spec", SPECS, ids=lambda spec: spec.name)
def test_bound_parser_matches_parse_field_on_samples(spec):
    bound = field_parser(spec)
    for raw in SAMPLES + [None, 12, 12.5, True, ["a"]]:
        assert outcome(bound, spec, raw) == outcome(lambda value: parse_field(spec, value), spec, raw), raw


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(SPECS), st.text(alphabet=string.printable + "张三万亿元¥，。－＝＠　年月日", max_size=24))
def test_bound_parser_matches_parse_field(spec, raw):
    assert outcome(field_parser(spec), spec, raw) == outcome(lambda value: parse_field(spec, value), spec, raw)


def _credit_code(rng: random.Random) -> str:
    body = "".join(rng.choice(string.digits) for _ in range(8)) + "".join(
        rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc.calc_check_digit(body + "0")


def test_credit_code_fast_path_agrees_with_stdnum():
    rng = random.Random(5)
    for _ in range(3000):
        code = _credit_code(rng)
        assert parse_credit_code(code) == uscc.validate(code)
        wrong = code[:17] + rng.choice([c for c in "0123456789ABCDEFGHJKLMNPQRTUWXY" if c != code[17]])
        with pytest.raises(ValidationError, match="check digit is wrong"):
            parse_credit_code(wrong)
    for bad in ("91110000600037341", "A1110000600037341L", "9111000060003734IL", "91110000600037341L0"):
        with pytest.raises(ValidationError):
            parse_credit_code(bad)
