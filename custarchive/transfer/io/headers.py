"""Header recognition: which column of an input file feeds which field.

Spreadsheets from Chinese SMBs come with every variation of a header a person
can type: full-width letters, ``姓名*``, ``手机号（必填）``, ``Birth Date``.  We
normalise both sides the same way and then look the header up in one table, so
a header is either recognised unambiguously or reported; a column is never
guessed into a field.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field as dc_field
from pathlib import Path

from custarchive.errors import ConfigError, ValidationError

# Canonical field order: the export column order and the template's order.
FIELDS: tuple[str, ...] = (
    "archive_no", "kind", "category", "name", "gender", "birth_date", "id_number",
    "credit_code", "legal_representative", "registered_capital", "phone", "email",
    "province", "city", "address", "industry", "occupation", "employer", "title",
    "education", "source", "annual_spend", "credit_limit", "bank_account", "notes",
)

# Field -> Chinese label used for ``--headers zh`` and the import template.
LABELS_ZH: dict[str, str] = {
    "archive_no": "档案编号", "kind": "客户类型", "category": "客户类别", "name": "姓名",
    "gender": "性别", "birth_date": "出生日期", "id_number": "身份证号",
    "credit_code": "统一社会信用代码", "legal_representative": "法定代表人",
    "registered_capital": "注册资本", "phone": "手机", "email": "邮箱", "province": "省份",
    "city": "城市", "address": "地址", "industry": "行业", "occupation": "职业",
    "employer": "工作单位", "title": "职务", "education": "学历", "source": "信息来源",
    "annual_spend": "年消费额", "credit_limit": "信用额度", "bank_account": "银行账号",
    "notes": "备注",
}

# Columns an export writes that custarchive sets itself.  Import recognises
# them so an export can be imported again as it is: ``template`` picks a new
# row's card template, the others are skipped with one notice.
SYSTEM_LABELS_ZH: dict[str, str] = {
    "template": "模板", "status": "状态", "grade": "信用等级", "created_at": "建档时间",
    "updated_at": "更新时间", "created_by": "建档人",
}

# Aliases from the CLI contract (besides the label above), plus unambiguous
# English ones.  Bare "ID", "Type" or "Company" are left out on purpose: in
# other systems' exports they often mean a row id, anything, or the name.
ALIASES: dict[str, tuple[str, ...]] = {
    "archive_no": ("客户编号", "archive no", "archive number"),
    "kind": ("customer type",),
    "category": ("类别",),
    "name": ("客户名称", "名称", "单位名称", "公司名称", "full name"),
    "birth_date": ("生日", "birthday", "date of birth", "dob"),
    "id_number": ("身份证号码", "身份证", "id no", "id card"),
    "legal_representative": ("法人代表",),
    "phone": ("手机号", "手机号码", "电话", "联系电话", "mobile", "tel", "telephone"),
    "email": ("电子邮箱", "电子邮件", "e-mail", "mail"),
    "address": ("通信地址", "联系地址"),
    "industry": ("所属行业",),
    "employer": ("所属单位", "organization", "organisation"),
    "education": ("受教育程度",),
    "source": ("来源渠道",),
    "annual_spend": ("年度消费金额",),
    "notes": ("note", "remarks", "remark"),
}

# Columns a reader produces that are not stored fields (vCard's second and
# later phones/emails), so the importer can append them to notes.
AUXILIARY_FIELDS: tuple[str, ...] = ("phones_extra", "emails_extra")

# Column added by the errors file; ignored silently so a fixed errors file
# can be imported again as it is.
ERROR_COLUMN = "error"

_REQUIRED_MARK = re.compile(r"^\*+|\*+$|\((必填|必选|required)\)$")
_SEPARATORS = re.compile(r"[\s_\-.]+")


def normalise_header(text: str) -> str:
    """Key under which a header is looked up: one spelling for many typings."""
    key = unicodedata.normalize("NFKC", text).strip().casefold()
    key = _SEPARATORS.sub("", key)
    previous = None
    while previous != key:  # "手机*(必填)" carries two marks
        previous = key
        key = _REQUIRED_MARK.sub("", key)
    return key


def _builtin_lookup() -> dict[str, str]:
    table: dict[str, str] = {}
    for name in FIELDS + AUXILIARY_FIELDS:
        table[normalise_header(name)] = name
    for name, label in list(LABELS_ZH.items()) + list(SYSTEM_LABELS_ZH.items()):
        table[normalise_header(name)] = name
        table[normalise_header(label)] = name
    for name, aliases in ALIASES.items():
        for alias in aliases:
            table[normalise_header(alias)] = name
    return table


_BUILTIN = _builtin_lookup()


@dataclass
class HeaderMap:
    """How a header row maps onto fields.

    ``fields`` maps a column index to a canonical or template-extra field;
    ``unknown`` lists (index, header) of columns nobody claims (report once,
    then ignore); ``ignored`` lists columns the map file or the errors-file
    convention tells us to drop quietly; ``errors`` are reasons to refuse the
    whole file (duplicated headers, two columns for one field).
    """

    fields: dict[int, str] = dc_field(default_factory=dict)
    unknown: list[tuple[int, str]] = dc_field(default_factory=list)
    ignored: list[tuple[int, str]] = dc_field(default_factory=list)
    errors: list[str] = dc_field(default_factory=list)

    def check(self) -> None:
        """Raise the first error, so a caller that cannot go on says why."""
        if self.errors:
            raise ValidationError(None, None, self.errors[0])


def load_map_file(path: str | Path, known: set[str]) -> dict[str, str | None]:
    """Read a TOML ``"原表头" = "field"`` file; ``""`` as target means ignore."""
    import tomllib

    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the map file ({exc.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a valid TOML map file: {exc}") from None
    result: dict[str, str | None] = {}
    for key, target in data.items():
        if not isinstance(target, str):
            raise ConfigError(f"{path}: key {key!r}: the target must be a field name in quotes")
        target = target.strip()
        if target in ("", "-"):
            result[normalise_header(key)] = None
            continue
        if target not in known:
            raise ConfigError(f"{path}: key {key!r}: unknown field {target!r}")
        result[normalise_header(key)] = target
    return result


def build_header_map(
    headers: list[str],
    extra_labels: dict[str, str] | None = None,
    map_file: str | Path | None = None,
) -> HeaderMap:
    """Map a header row to fields.

    ``extra_labels`` holds the template's extra fields (field name -> label);
    both the name and the label are recognised.  The map file wins over every
    built-in name, so a user can always resolve a conflict.
    """
    extra_labels = extra_labels or {}
    lookup = dict(_BUILTIN)
    for name, label in extra_labels.items():
        lookup.setdefault(normalise_header(name), name)
        lookup.setdefault(normalise_header(label), name)
    known = set(FIELDS) | set(AUXILIARY_FIELDS) | set(SYSTEM_LABELS_ZH) | set(extra_labels)
    overrides = load_map_file(map_file, known) if map_file is not None else {}

    result = HeaderMap()
    seen_header: dict[str, int] = {}
    claimed: dict[str, int] = {}
    for index, header in enumerate(headers):
        header = header if isinstance(header, str) else ("" if header is None else str(header))
        key = normalise_header(header)
        if not key:
            result.unknown.append((index, header))
            continue
        if key in seen_header:
            first = seen_header[key]
            result.errors.append(
                f"columns {first + 1} and {index + 1} have the same header "
                f"{headers[first]!r}; rename one of them")
            continue
        seen_header[key] = index
        if key in overrides:
            target = overrides[key]
        elif header.strip() == ERROR_COLUMN:
            target = None
        else:
            target = lookup.get(key, "")
            if target == "":
                result.unknown.append((index, header))
                continue
        if target is None:
            result.ignored.append((index, header))
            continue
        if target in claimed:
            first = claimed[target]
            result.errors.append(
                f"columns {headers[first]!r} ({first + 1}) and {header!r} ({index + 1}) "
                f"both map to {target}; rename one or use --map")
            continue
        claimed[target] = index
        result.fields[index] = target
    return result
