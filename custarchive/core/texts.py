"""Words on screen in the user's language: validation reasons, code labels, local times.

The domain raises its reasons in English (scripts and logs match on them); a person at a
Chinese terminal reads them through :func:`reason_text`. Stored codes are shown by their
label (:func:`code_label`), stored times in the local time zone as ``2026-12-04 10:02``
(:func:`local_time`).
"""
from __future__ import annotations

import datetime as _dt
import re
from typing import Any

# English reason (a regular expression over the whole reason) → Chinese, with the same groups.
_REASONS_ZH = (
    (r"not a real calendar date", "不是真实存在的日期"),
    (r"not a date \(.*", "不是日期(可写 2024-01-05、2024/1/5、20240105 或 2024年1月5日)"),
    (r"not an amount \(.*", "不是金额(例如 1,200.50、¥1200、12万)"),
    (r"amount out of range", "金额超出范围"),
    (r"must be at least (.+)", r"不能小于 \1"),
    (r"not a whole number", "不是整数"),
    (r"not yes/no .*", "请回答 是 或 否"),
    (r"not a valid email address", "不是有效的电子邮箱地址"),
    (r"a resident ID has 18 characters, not (\d+)", r"居民身份证号应为 18 位,这里是 \1 位"),
    (r"a resident ID is 17 digits followed by a digit or X", "居民身份证号为 17 位数字加 1 位数字或 X"),
    (r"resident ID check digit is wrong", "身份证号校验位不对,请核对"),
    (r"resident ID holds an impossible birth date", "身份证号中的出生日期不存在"),
    (r"resident ID birth date is in the future or too old", "身份证号中的出生日期在将来或过早"),
    (r"resident ID area code (\d+) does not exist", r"身份证号的地区码 \1 不存在"),
    (r"a credit code has 18 characters", "统一社会信用代码应为 18 位"),
    (r"credit code check digit is wrong", "统一社会信用代码校验位不对,请核对"),
    (r"not a valid unified social credit code", "不是有效的统一社会信用代码"),
    (r"a phone number may hold only digits, spaces, - and a leading \+", "电话号码只能包含数字、空格、- 和开头的 +"),
    (r"not a valid mainland China mobile or landline number", "不是有效的手机号或固定电话号码"),
    (r"not a valid international phone number", "不是有效的国际电话号码"),
    (r"not one of: (.+)", r"只能是以下之一:\1"),
    (r"longer than (\d+) characters", r"超过 \1 个字"),
    (r"is required.*", "必填"),
    (r"already held by archive (\S+)", r"已被档案 \1 使用"),
    (r"contradicts the resident ID \((.+)\)", r"与身份证号不符(\1)"),
    (r"is in the future", "不能晚于今天"),
    (r"(\S+): (\w+) stored without the customer's sensitive-scope consent \(consent add REF --scope sensitive …\)",
     r"\1:已保存 \2,但客户尚未授权敏感信息(consent add 档案编号 --scope sensitive …)"),
    (r"(\S+): possible duplicate of (\S+) (\S+) \(same (\w+)\)", r"\1:可能与 \2 \3 重复(\4 相同)"),
    (r"(\S+): possible duplicate of (\S+) (\S+) \(same (\w+); owner (\S+)\)", r"\1:可能与 \2 \3 重复(\4 相同;负责人 \5)"),
)
_COMPILED = tuple((re.compile(pattern + r"\Z"), zh) for pattern, zh in _REASONS_ZH)


def reason_text(reason: str, lang: str) -> str:
    """A refusal reason in the user's language (unknown reasons are shown as raised)."""
    if lang != "zh":
        return reason
    for pattern, zh in _COMPILED:
        match = pattern.match(reason)
        if match:
            return match.expand(zh)
    return reason


def local_time(value: Any) -> str:
    """A stored ISO time as local ``YYYY-MM-DD HH:MM`` (``TZ``, else the system's zone)."""
    if value in (None, ""):
        return ""
    try:
        moment = _dt.datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_dt.timezone.utc)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def code_label(choices, value: Any, lang: str) -> str:
    """The label of a stored choice code (the code itself when the list does not know it)."""
    for choice in choices:
        if choice["value"] == value:
            return str(choice.get("label_" + lang) or choice["value"])
    return "" if value is None else str(value)


STATUS_LABELS = {"active": ("在档", "active"), "closed": ("已结档", "closed"), "merged": ("已合并", "merged"),
                 "erased": ("已删除个人信息", "erased")}
ACTION_LABELS = {"create": ("建档", "created"), "update": ("修改", "changed"), "profile_set": ("客户画像", "profile"),
                 "merge": ("合并", "merged"), "reveal": ("查看明文", "revealed"), "close": ("结档", "closed"),
                 "reopen": ("重新启用", "reopened"), "erase": ("删除个人信息", "erased"), "import": ("导入", "imported"),
                 "grade": ("信用评定", "graded"), "swot_add": ("SWOT 新增", "SWOT added"),
                 "swot_edit": ("SWOT 修改", "SWOT changed"), "swot_remove": ("SWOT 删除", "SWOT removed"),
                 "advantage_add": ("竞争优势新增", "advantage added"), "advantage_remove": ("竞争优势删除", "advantage removed"),
                 "competitor_add": ("竞争对手新增", "competitor added"), "competitor_level": ("竞争对手了解程度", "competitor level"),
                 "competitor_remove": ("竞争对手删除", "competitor removed"), "consent": ("授权同意", "consent"),
                 "document": ("档案文件", "document"), "finance": ("财务数据", "finance"), "index_set": ("业绩指数", "index"),
                 "log": ("联系记录", "timeline"), "resolve": ("问题解决", "resolved"), "transaction": ("交易", "transaction"),
                 "category": ("类别", "category")}


def pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def status_label(value: Any, lang: str) -> str:
    return pick(STATUS_LABELS[value], lang) if value in STATUS_LABELS else ("" if value is None else str(value))


def action_label(value: Any, lang: str) -> str:
    return pick(ACTION_LABELS[value], lang) if value in ACTION_LABELS else ("" if value is None else str(value))


def value_text(spec, value: Any, lang: str) -> str:
    """A stored value as a person reads it: labels for codes, 是/否, amounts with separators."""
    if value is None or value == [] or value == "":
        return ""
    if spec is None:
        return str(value)
    if spec.type == "choice":
        return code_label(spec.choices, value, lang)
    if spec.type == "multi-choice" and isinstance(value, (list, tuple)):
        return "、".join(code_label(spec.choices, item, lang) for item in value)
    if spec.type == "bool":
        yes = value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
        return ("是" if yes else "否") if lang == "zh" else ("Yes" if yes else "No")
    if spec.type == "amount" and isinstance(value, (int, float)):
        return f"{value:,.2f}"
    return str(value)
