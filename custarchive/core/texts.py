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
    (r"must be at most (.+)", r"不能大于 \1"),
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
    (r"not a mainland China mobile \(11 digits from 13-19\) or landline .*",
     "不是大陆手机号(13-19 开头的 11 位)或固定电话(区号加 7-8 位);境外号码以 + 开头"),
    (r"resident ID area code (\d+) is a province: .*", r"身份证号的地区码 \1 是省级代码,真实身份证为县级代码"),
    (r"resident ID area code (\d+) is a prefecture: .*", r"身份证号的地区码 \1 是地级代码,真实身份证为县级代码"),
    (r"resident ID area code (\d+) is in no official list of county codes", r"身份证号的地区码 \1 不在任何官方县级代码表中"),
    (r"a spreadsheet turned this into a rounded number and its digits are lost .*",
     "已被电子表格改成了科学计数法,原来的数字已丢失(请重新录入;用 -o 文件名.csv 导出、不加 --plain 可避免)"),
    (r"phone (\S+) has no area code", r"电话 \1 没有区号"),
    (r"phone (\S+) is not in a block phonenumbers knows \(stored as given\)", r"电话 \1 不在已知号段中(已按原样保存)"),
    (r"is masked \(exported without --reveal\) and a new archive needs the real value", "是隐去的值(导出时未加 --reveal),新建档案需要真实的值"),
    (r"(sheet .+: )?columns set by custarchive are not imported: (.+)", r"\1以下列由系统设定,不导入:\2"),
    (r"(sheet .+: )?unknown column (.+) ignored", r"\1未知的列 \2,已忽略"),
    (r"(sheet .+: )?column (\d+) has no header; ignored", r"\1第 \2 列没有表头,已忽略"),
    (r"(.+): duplicate: (.+)", r"\1:重复:\2"),
    (r"same as (line|record) (\d+) of this file", r"与本文件第 \2 行相同"),
    (r"duplicate of a row that was itself rejected", "与一条已被拒绝的行重复"),
    (r"backup and restore work on SQLite files; for PostgreSQL use pg_dump / pg_restore",
     "backup/restore 用于 SQLite 数据库文件;PostgreSQL 请用 pg_dump / pg_restore"),
    (r"the key matches this database", "密钥与本数据库相符"),
    (r"(\d+) entries, hash chain intact", r"共 \1 条,哈希链完整"),
    (r"ok", "正常"),
    (r"sensitive values are encrypted", "敏感信息均已加密"),
    (r"(\d+) sensitive value\(s\) stored in clear", r"有 \1 个敏感值以明文保存"),
    (r"every attached file matches its SHA-256", "所有附件与其 SHA-256 相符"),
    (r"not checked \(no file store given\)", "未检查(没有附件目录)"),
    (r"unknown field for template (.+)", r"模板 \1 没有这个字段"),
    (r"cannot be both set and unset", "不能同时设置和清除"),
    (r"is set by custarchive and cannot be changed here", "由系统设定,不能在此修改"),
    (r"is required and cannot be removed", "必填,不能清除"),
    (r"(\S+) was changed by someone else while you edited; nothing saved", r"\1 在您编辑期间被他人修改,未保存"),
    (r"not one of: (.+)", r"只能是以下之一:\1"),
    (r"longer than (\d+) characters", r"超过 \1 个字"),
    (r"is required.*", "必填"),
    (r"already held by archive (\S+)", r"已被档案 \1 使用"),
    (r"contradicts the resident ID \((.+)\)", r"与身份证号不符(\1)"),
    (r"is in the future", "不能晚于今天"),
    (r"(\S+): ([\w, ]+) stored without the customer's sensitive-scope consent \(consent add REF --scope sensitive …\)",
     lambda m: f"{m[1]}:已保存{'、'.join(field_label(n, 'zh') for n in m[2].split(', '))},"
               "但客户尚未授权敏感信息(consent add 档案编号 --scope sensitive …)"),
    (r"no archive matches (.+)", r"没有与 \1 相符的档案"),
    (r"(.+) matches (\d+) archives: (.+)", r"\1 与 \2 份档案相符:\3(请用档案编号)"),
    (r"operator (.+) \((\w+)\) may not (.+)", r"操作员 \1(\2)无权执行:\3"),
    (r"operator (.+) is not a registered user \(ask an admin: user add\)", r"操作员 \1 不是登记的用户(请管理员执行 user add)"),
    (r"no database at (.+) \(add a customer first, or pass --db\)", r"\1 没有数据库(先新增一位客户,或用 --db 指定)"),
    (r"unknown category (\S+) \(known: (.+)\)", r"未知类别 \1(已有:\2)"),
    (r"unknown category (.+)", r"未知类别 \1"),
    (r"no timeline entry #(\d+)", r"没有第 \1 号联系记录"),
    (r"holds a NUL byte \(damaged data\)", "含有 NUL 字节(数据已损坏)"),
    (r"not a real time of day", "不是真实存在的时刻"),
    (r"duplicate: already in archive (\S+)(.*) \(use --on-duplicate skip or update\)",
     r"重复:已在档案 \1 中\2(可用 --on-duplicate skip 或 update)"),
    (r"(\S+): possible duplicate of (\S+) (.+) \(same (\w+)\)",
     lambda m: f"{m[1]}:可能与 {m[2]} {m[3]} 重复({field_label(m[4], 'zh')}相同)"),
    (r"(\S+): possible duplicate of (\S+) (.+) \(probability (\d+%)\)", r"\1:可能与 \2 \3 重复(概率 \4)"),
    (r"(\S+): possible duplicate of (\S+) (.+) \(probability (\d+%); owner (\S+)\)",
     r"\1:可能与 \2 \3 重复(概率 \4;负责人 \5)"),
    (r"(\S+): related archive (\S+) (.+) \(same phone, address or e-mail\)", r"\1:相关档案 \2 \3(电话、地址或邮箱相同)"),
    (r"(\S+): related archive (\S+) (.+) \(same phone, address or e-mail; owner (\S+)\)",
     r"\1:相关档案 \2 \3(电话、地址或邮箱相同;负责人 \4)"),
    (r"(\S+): possible duplicate of (\S+) (.+) \(same (\w+); owner (\S+)\)",
     lambda m: f"{m[1]}:可能与 {m[2]} {m[3]} 重复({field_label(m[4], 'zh')}相同;负责人 {m[5]})"),
)
_COMPILED = tuple((re.compile(pattern + r"\Z"), zh) for pattern, zh in _REASONS_ZH)


def reason_text(reason: str, lang: str) -> str:
    """A refusal reason in the user's language (unknown reasons are shown as raised)."""
    if lang != "zh":
        return reason
    for pattern, zh in _COMPILED:
        match = pattern.match(reason)
        if match:
            return zh(match) if callable(zh) else match.expand(zh)
    head, sep, rest = reason.partition(": ")       # "C-2026-00001: phone … (stored as given)"
    if sep and " " not in head:
        translated = reason_text(rest, lang)
        if translated != rest:
            return f"{field_label(head, lang)}:{translated}"
    return reason


ERROR_WORD = ("错误", "error")


def field_label(name: str | None, lang: str) -> str:
    """A field's label for a message (canonical or any built-in template's); options keep their name."""
    if not name or lang != "zh" or name.startswith("-"):
        return name or ""
    from custarchive.core.fields import CANONICAL

    spec = CANONICAL.get(name)
    if spec is None:
        from custarchive.core.templates import load_template, template_files
        from custarchive.errors import CustarchiveError

        for template in template_files():
            try:
                spec = load_template(template).fields.get(name)
            except CustarchiveError:
                continue
            if spec is not None:
                break
    return spec.label_zh if spec is not None else name


def error_text(exc, lang: str) -> str:
    """The one line a refusal prints: ``error: field: reason (value)``, or in Chinese
    ``错误:出生日期:不能晚于今天('2030-01-01')`` (field by its label, reason translated)."""
    if lang != "zh":
        return f"error: {exc.message}"
    reason = getattr(exc, "reason", None)
    if reason is not None:
        value = getattr(exc, "value", None)
        shown = repr(value) if value is not None else ""
        where = field_label(getattr(exc, "field", None), lang)
        text = (f"{where}:" if where else "") + reason_text(reason, lang) + (f"({shown})" if shown and len(shown) < 80 else "")
    else:
        text = reason_text(exc.message, lang)
        head, sep, rest = exc.message.partition(": ")
        if text == exc.message and sep and " " not in head:       # "field: reason" from a plain error
            text = f"{field_label(head, lang)}:{reason_text(rest, lang)}"
    return f"{ERROR_WORD[0]}:{text}"


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


CHECK_LABELS = {"key": ("密钥", "key"), "change_log": ("变更记录", "change log"), "sqlite": ("数据库文件", "database file"),
                "encryption": ("加密", "encryption"), "attachments": ("附件", "attachments")}
INFO_LABELS = {"version": ("版本", "version"), "database": ("数据库", "database"), "config_dir": ("配置目录", "config dir"),
               "operator": ("操作员", "operator"), "lang": ("语言", "language"), "exists": ("数据库已建立", "exists"),
               "archives": ("档案数", "archives"), "schema": ("数据结构版本", "schema"), "backend": ("数据库类型", "backend")}
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
