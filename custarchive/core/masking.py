"""Masking of sensitive values (resident IDs, bank accounts, template-marked fields).

Shared by ``show``/``list`` and by export, so a value hidden on screen is
hidden the same way in a file; only ``--reveal`` (and the ``reveal`` right)
shows it whole.
"""
from __future__ import annotations

from typing import Any

from custarchive.core.fields import CANONICAL
from custarchive.core.templates import load_template
from custarchive.errors import ConfigError


SENSITIVE_MASKS = {"id_number": (6, 4), "bank_account": (0, 4)}
_by_template: dict[str, frozenset[str]] = {}


def mask(field: str, value: Any) -> Any:
    """``110101********1234``: keep a recognisable head and tail, hide the rest."""
    if value is None or value == "":
        return value
    text = str(value)
    head, tail = SENSITIVE_MASKS.get(field, (1, 1))
    if len(text) <= head + tail:
        return "*" * len(text)
    return text[:head] + "*" * (len(text) - head - tail) + text[len(text) - tail:]


def sensitive_fields(template=None) -> frozenset[str]:
    """Canonical sensitive fields plus those the template (a Template or its name) marks sensitive."""
    found = _by_template.get(template or "") if isinstance(template, str) or template is None else None
    if found is not None:
        return found

    if isinstance(template, str) or template is None:
        name = template or ""
        if name not in _by_template:

            try:
                loaded = load_template(name) if name else None
            except ConfigError:
                loaded = None
            _by_template[name] = sensitive_fields(loaded) if loaded is not None else frozenset(
                n for n, spec in CANONICAL.items() if spec.sensitive)
        return _by_template[name]
    names = {name for name, spec in CANONICAL.items() if spec.sensitive}
    names |= {name for name, spec in template.fields.items() if spec.sensitive}
    return frozenset(names)
