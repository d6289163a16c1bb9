"""Format checks for the built-in customer-card templates in custarchive/data/templates/.

These tests read the TOML files directly (no loader import) so that the data can be
validated on its own; see custarchive/data/README.md for the format.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "custarchive" / "data" / "templates"

EXPECTED = {
    "individual": "individual",
    "enterprise": "enterprise",
    "property-owner": "individual",
    "hotel-guest": "individual",
    "logistics": "enterprise",
}

# Real database columns owned by the core (cli-contract.md, "Canonical field names").
CANONICAL = {
    "kind", "category", "name", "gender", "birth_date", "id_number", "credit_code",
    "legal_representative", "registered_capital", "phone", "email", "province", "city",
    "address", "industry", "occupation", "employer", "title", "education", "source",
    "annual_spend", "credit_limit", "bank_account", "notes",
}
# Set by the core; a template must not list them.
RESERVED = {"archive_no", "kind", "category"}
# Canonical fields that only make sense for one kind of customer.
INDIVIDUAL_ONLY = {"gender", "birth_date", "id_number", "education", "occupation"}
ENTERPRISE_ONLY = {"credit_code", "legal_representative", "registered_capital"}

# Chinese labels and aliases that import maps to canonical fields: a template-only
# field must not take one of them as its label, or import headers become ambiguous.
CANONICAL_ZH = {
    "档案编号", "客户编号", "客户类型", "客户类别", "类别", "姓名", "客户名称", "名称",
    "单位名称", "公司名称", "性别", "出生日期", "生日", "身份证号", "身份证号码",
    "统一社会信用代码", "法定代表人", "法人代表", "注册资本", "手机", "手机号", "手机号码",
    "电话", "联系电话", "邮箱", "电子邮箱", "电子邮件", "省份", "城市", "地址", "通信地址",
    "联系地址", "行业", "所属行业", "职业", "工作单位", "所属单位", "职务", "学历",
    "受教育程度", "信息来源", "来源渠道", "年消费额", "年度消费金额", "信用额度",
    "银行账号", "备注",
}

TYPES = {
    "text", "integer", "amount", "date", "choice", "multi-choice", "phone", "email",
    "id_number", "credit_code", "bool",
}
CHOICE_TYPES = {"choice", "multi-choice"}

TOP_KEYS = {"name", "kind", "label_zh", "label_en", "sections"}
SECTION_KEYS = {"id", "label_zh", "label_en", "fields"}
CANONICAL_FIELD_KEYS = {"name", "required", "help_zh", "help_en"}
TEMPLATE_FIELD_KEYS = {
    "name", "type", "label_zh", "label_en", "required", "choices", "help_zh", "help_en",
    "sensitive", "max_length", "minimum", "latest",
}
CHOICE_KEYS = {"value", "label_zh", "label_en"}

SNAKE = re.compile(r"^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$")
TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$")
CJK = re.compile(r"[\u3400-\u9fff]")


def _load(stem: str) -> dict:
    with (TEMPLATE_DIR / f"{stem}.toml").open("rb") as fh:
        return tomllib.load(fh)


def _fields(data: dict):
    for section in data["sections"]:
        yield from section["fields"]


def _check_labels(where: str, obj: dict) -> None:
    zh, en = obj.get("label_zh"), obj.get("label_en")
    assert isinstance(zh, str) and zh.strip(), f"{where}: label_zh missing or empty"
    assert isinstance(en, str) and en.strip(), f"{where}: label_en missing or empty"
    assert CJK.search(zh), f"{where}: label_zh {zh!r} has no Chinese characters"
    assert not CJK.search(en), f"{where}: label_en {en!r} contains Chinese characters"


def test_expected_files_present():
    found = {p.stem for p in TEMPLATE_DIR.glob("*.toml")}
    assert found == set(EXPECTED)


@pytest.fixture(params=sorted(EXPECTED), ids=str)
def template(request):
    return request.param, _load(request.param)


def test_top_level(template):
    stem, data = template
    assert set(data) == TOP_KEYS, f"unexpected top-level keys: {set(data) ^ TOP_KEYS}"
    assert data["name"] == stem
    assert TEMPLATE_NAME.match(data["name"])
    assert data["kind"] in {"individual", "enterprise"}
    assert data["kind"] == EXPECTED[stem]
    _check_labels(stem, data)
    assert isinstance(data["sections"], list) and data["sections"]


def test_sections(template):
    stem, data = template
    ids = []
    for section in data["sections"]:
        where = f"{stem}: section {section.get('id')!r}"
        assert set(section) == SECTION_KEYS, f"{where}: keys {sorted(section)}"
        assert isinstance(section["id"], str) and SNAKE.match(section["id"]), where
        _check_labels(where, section)
        assert isinstance(section["fields"], list) and section["fields"], f"{where}: no fields"
        ids.append(section["id"])
    assert len(ids) == len(set(ids)), f"{stem}: duplicate section ids"


def test_field_names(template):
    stem, data = template
    names = [f.get("name") for f in _fields(data)]
    for name in names:
        assert isinstance(name, str) and SNAKE.match(name), f"{stem}: bad field name {name!r}"
        assert name not in RESERVED, f"{stem}: {name!r} is set by the core"
    dupes = {n for n in names if names.count(n) > 1}
    assert not dupes, f"{stem}: duplicate fields {sorted(dupes)}"


def test_fields(template):
    stem, data = template
    for field in _fields(data):
        name = field["name"]
        where = f"{stem}: field {name!r}"
        if "required" in field:
            assert isinstance(field["required"], bool), where
        assert ("help_zh" in field) == ("help_en" in field), f"{where}: give both helps or none"
        for key in ("help_zh", "help_en"):
            if key in field:
                assert isinstance(field[key], str) and field[key].strip(), f"{where}: {key}"

        if name in CANONICAL:
            extra = set(field) - CANONICAL_FIELD_KEYS
            assert not extra, f"{where}: canonical field may not set {sorted(extra)}"
            continue

        extra = set(field) - TEMPLATE_FIELD_KEYS
        assert not extra, f"{where}: unknown keys {sorted(extra)}"
        if "minimum" in field:
            assert field.get("type") in ("integer", "amount") and isinstance(field["minimum"], (int, float)), where
        if "latest" in field:
            assert (field.get("type"), field["latest"][:4]) in (("date", "toda"), ("integer", "year")), where
        assert field.get("type") in TYPES, f"{where}: type {field.get('type')!r}"
        _check_labels(where, field)
        assert field["label_zh"] not in CANONICAL_ZH, (
            f"{where}: label_zh {field['label_zh']!r} is a canonical field's Chinese name"
        )
        if "sensitive" in field:
            assert isinstance(field["sensitive"], bool), where
        if "max_length" in field:
            assert field["type"] == "text", f"{where}: max_length only applies to text"
            ml = field["max_length"]
            assert isinstance(ml, int) and not isinstance(ml, bool) and ml > 0, where

        if field["type"] in CHOICE_TYPES:
            choices = field.get("choices")
            assert isinstance(choices, list) and len(choices) >= 2, f"{where}: needs choices"
            values = []
            for choice in choices:
                assert isinstance(choice, dict) and set(choice) == CHOICE_KEYS, (
                    f"{where}: choice {choice!r}"
                )
                assert isinstance(choice["value"], str) and SNAKE.match(choice["value"]), (
                    f"{where}: choice value {choice['value']!r}"
                )
                _check_labels(f"{where} choice {choice['value']!r}", choice)
                values.append(choice["value"])
            assert len(values) == len(set(values)), f"{where}: duplicate choice values"
        else:
            assert "choices" not in field, f"{where}: choices on a {field['type']} field"


def test_template_only_labels_unique(template):
    stem, data = template
    labels = [f["label_zh"] for f in _fields(data) if f["name"] not in CANONICAL]
    dupes = {x for x in labels if labels.count(x) > 1}
    assert not dupes, f"{stem}: duplicate label_zh {sorted(dupes)}"


def test_required(template):
    stem, data = template
    required = [f["name"] for f in _fields(data) if f.get("required") is True]
    assert required, f"{stem}: no required field"
    assert "name" in required, f"{stem}: the customer name must be required"


def test_fields_fit_kind(template):
    stem, data = template
    names = {f["name"] for f in _fields(data)}
    wrong = ENTERPRISE_ONLY if data["kind"] == "individual" else INDIVIDUAL_ONLY
    assert not names & wrong, f"{stem}: fields for the other kind: {sorted(names & wrong)}"


def test_template_fields_consistent_across_templates():
    """A template-only field name means the same kind of value in every template."""
    seen: dict[str, tuple[str, str]] = {}
    for stem in sorted(EXPECTED):
        for field in _fields(_load(stem)):
            if field["name"] in CANONICAL:
                continue
            first = seen.setdefault(field["name"], (stem, field["type"]))
            assert first[1] == field["type"], (
                f"{field['name']!r} is {first[1]} in {first[0]} but {field['type']} in {stem}"
            )
