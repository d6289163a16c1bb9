"""The canonical customer fields: real columns shared by every card template.

Their names are the contract's (``--set``, ``--json``, import/export headers);
each carries its type, labels and the aliases that import recognises.
Template-only fields are declared in the template TOML instead.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label_zh: str
    label_en: str
    aliases: tuple[str, ...] = ()
    choices: tuple[dict, ...] = ()
    required: bool = False
    sensitive: bool = False
    minimum: float | None = None
    latest: str | None = None          # plausibility: "today" (a date), "year" or "year+N" (a year)
    max_length: int | None = None
    help_zh: str = ""
    help_en: str = ""
    canonical: bool = True
    extra: dict = field(default_factory=dict, compare=False)

    def label(self, lang: str) -> str:
        return self.label_zh if lang == "zh" else self.label_en

    def help(self, lang: str) -> str:
        return self.help_zh if lang == "zh" else self.help_en


def _choice(value: str, zh: str, en: str, *aliases: str) -> dict:
    return {"value": value, "label_zh": zh, "label_en": en, "aliases": aliases}


KIND_CHOICES = (
    _choice("individual", "个人", "Individual", "个人客户", "person"),
    _choice("enterprise", "企业", "Enterprise", "企业客户", "company", "单位"),
)
GENDER_CHOICES = (
    _choice("male", "男", "Male", "m", "男性"),
    _choice("female", "女", "Female", "f", "女性"),
)
EDUCATION_CHOICES = (
    _choice("primary", "小学", "Primary school"),
    _choice("junior", "初中", "Junior middle school"),
    _choice("senior", "高中", "Senior high school", "中专"),
    _choice("vocational", "职高/技校", "Vocational school", "技校", "职高"),
    _choice("college", "大专", "College", "专科"),
    _choice("bachelor", "本科", "Bachelor", "学士"),
    _choice("master", "硕士", "Master", "研究生"),
    _choice("doctor", "博士", "Doctorate", "phd"),
    _choice("other", "其他", "Other"),
)

_SPECS = (
    FieldSpec("archive_no", "text", "档案编号", "Archive no.", ("客户编号",)),
    FieldSpec("kind", "choice", "客户类型", "Kind", (), KIND_CHOICES),
    FieldSpec("category", "text", "客户类别", "Category", ("类别",)),
    FieldSpec("name", "text", "名称", "Name", ("姓名", "客户名称", "单位名称", "公司名称"),
              required=True, max_length=200),
    FieldSpec("gender", "choice", "性别", "Gender", (), GENDER_CHOICES),
    FieldSpec("birth_date", "date", "出生日期", "Birth date", ("生日",), latest="today"),
    FieldSpec("id_number", "id_number", "身份证号", "Resident ID", ("身份证号码",), sensitive=True),
    FieldSpec("credit_code", "credit_code", "统一社会信用代码", "Credit code"),
    FieldSpec("legal_representative", "text", "法定代表人", "Legal representative", ("法人代表",)),
    FieldSpec("registered_capital", "amount", "注册资本", "Registered capital", minimum=0),
    FieldSpec("phone", "phone", "手机", "Phone", ("手机号", "手机号码", "电话", "联系电话")),
    FieldSpec("email", "email", "邮箱", "Email", ("电子邮箱", "电子邮件")),
    FieldSpec("province", "text", "省份", "Province", (), max_length=50),
    FieldSpec("city", "text", "城市", "City", (), max_length=50),
    FieldSpec("address", "text", "地址", "Address", ("通信地址", "联系地址"), max_length=500),
    FieldSpec("industry", "text", "行业", "Industry", ("所属行业",), max_length=100),
    FieldSpec("occupation", "text", "职业", "Occupation", (), max_length=100),
    FieldSpec("employer", "text", "工作单位", "Employer", ("所属单位",), max_length=200),
    FieldSpec("title", "text", "职务", "Title", (), max_length=100),
    FieldSpec("education", "choice", "学历", "Education", ("受教育程度",), EDUCATION_CHOICES),
    FieldSpec("source", "text", "信息来源", "Source", ("来源渠道",), max_length=200),
    FieldSpec("annual_spend", "amount", "年消费额", "Annual spend", ("年度消费金额",), minimum=0),
    FieldSpec("credit_limit", "amount", "信用额度", "Credit limit", (), minimum=0),
    FieldSpec("bank_account", "text", "银行账号", "Bank account", (), sensitive=True, max_length=40),
    FieldSpec("notes", "text", "备注", "Notes", ()),
)

CANONICAL: dict[str, FieldSpec] = {spec.name: spec for spec in _SPECS}

# Set by the system, never by --set: shown and exported, but not user-editable.
SYSTEM_FIELDS = ("archive_no", "status", "grade", "template", "created_at", "updated_at")

# Canonical fields a user may write with --set / import (archive_no only to address an archive).
WRITABLE = tuple(name for name in CANONICAL if name != "archive_no")
