"""Code frozen for the data migrations, as it was when each one was written: never change it.

A migration runs on an archive whenever that archive is first opened by a newer version,
perhaps years later; if it called the live ``crypto``, ``changelog`` or ``searchindex``, a
later change there (a new token format, another chain hash, other grams) would silently make
the same migration write something else. Each name ends with the number of its migration.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import os
import unicodedata
from binascii import a2b_base64, b2a_base64
from typing import Any

# --- m041_seal_existing_values -------------------------------------------------------------

TOKEN_041 = "enc1:"
SENSITIVE_COLUMNS_041 = ("id_number", "bank_account")
# The built-in templates' sensitive fields then (a user's own template is read from its file: see
# _sensitive_041); the canonical ones are sensitive in every template.
BUILT_IN_SENSITIVE_041 = {
    "enterprise": frozenset({"bank_account", "guarantee", "id_number"}),
    "hotel-guest": frozenset({"allergies", "bank_account", "id_number"}),
    "individual": frozenset({"annual_income", "bank_account", "id_number"}),
    "logistics": frozenset({"bank_account", "guarantee", "id_number"}),
    "property-owner": frozenset({"bank_account", "health_notes", "id_number", "physical_features", "religion"}),
}
LOG_COLUMNS_041 = ("customer_id", "archive_no", "at", "operator", "action", "field", "old_value", "new_value",
                   "reason", "source", "batch_id")


class Keys041:
    """The subkeys of one master key and the token, index and digest formats of m041."""

    def __init__(self, master: bytes):
        derive = lambda label: hmac.new(master, b"custarchive/" + label, hashlib.sha256).digest()  # noqa: E731
        self._encrypt_key, self._index_key, self._log_key = derive(b"encrypt"), derive(b"index"), derive(b"log")
        self._aead = None

    def _cipher(self):
        if self._aead is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aead = AESGCM(self._encrypt_key)
        return self._aead

    def seal(self, field: str, value: Any) -> str | None:
        if value is None:
            return None
        nonce = os.urandom(12)
        plain = json.dumps(value, ensure_ascii=False).encode("utf-8")
        return TOKEN_041 + b2a_base64(nonce + self._cipher().encrypt(nonce, plain, field.encode()),
                                      newline=False).decode()

    def open(self, field: str, token: Any) -> Any:
        if not is_token_041(token):
            return token
        from cryptography.exceptions import InvalidTag

        raw = a2b_base64(token[len(TOKEN_041):])
        try:
            return json.loads(self._cipher().decrypt(raw[:12], raw[12:], field.encode()))
        except InvalidTag:
            from custarchive.errors import ConfigError

            raise ConfigError(f"{field}: a stored value does not decrypt with this key "
                              "(altered, or another key)") from None

    def index(self, field: str, value: Any) -> str | None:
        if value is None:
            return None
        return hmac.new(self._index_key, f"{field}\x1f{value}".encode(), hashlib.sha256).hexdigest()

    def digest(self, value: str | None) -> str | None:
        if value is None:
            return None
        return hmac.new(self._log_key, value.encode("utf-8"), hashlib.sha256).hexdigest()


def is_token_041(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN_041)


def _sensitive_041(template: str | None) -> frozenset[str]:
    """A template's sensitive fields: the built-in list of then, or, for a template the user wrote
    (data, which no code can know in advance), what its own file says."""
    if template in BUILT_IN_SENSITIVE_041:
        return BUILT_IN_SENSITIVE_041[template]
    from custarchive.core.masking import sensitive_fields

    return frozenset(sensitive_fields(template)) | frozenset(SENSITIVE_COLUMNS_041)


def _all_sensitive_041() -> frozenset[str]:
    from custarchive.core.templates import template_files

    found = set(SENSITIVE_COLUMNS_041)
    for name in set(BUILT_IN_SENSITIVE_041) | set(template_files()):
        found |= _sensitive_041(name)
    return frozenset(found)


def seal_existing_cards_041(conn, keys: Keys041) -> None:
    """Encrypt the sensitive values an older version stored in clear, with their index digests."""
    from sqlalchemy import text

    rows = conn.execute(text("SELECT id, template, id_number, bank_account, extra FROM customers "
                             "WHERE id_number IS NOT NULL OR bank_account IS NOT NULL OR extra IS NOT NULL")).all()
    for cid, template, id_number, bank_account, extra in rows:
        plain = {"id_number": keys.open("id_number", id_number), "bank_account": keys.open("bank_account", bank_account)}
        secret = _sensitive_041(template)
        extra = {name: keys.seal(name, value) if name in secret and not is_token_041(value) else value
                 for name, value in (json.loads(extra) if extra else {}).items()}
        stored = {"id_number": id_number, "bank_account": bank_account}
        sealed = {name: stored[name] if is_token_041(stored[name]) else keys.seal(name, plain[name])
                  for name in SENSITIVE_COLUMNS_041}
        conn.execute(text("UPDATE customers SET id_number = :i, bank_account = :b, id_number_hmac = :ih, "
                          "bank_account_hmac = :bh, extra = :e WHERE id = :id"),
                     {"i": sealed["id_number"], "b": sealed["bank_account"],
                      "ih": keys.index("id_number", plain["id_number"]),
                      "bh": keys.index("bank_account", plain["bank_account"]),
                      "e": json.dumps(extra, ensure_ascii=False, sort_keys=True) if extra else None, "id": cid})


def _seal_logged_value_041(keys: Keys041, sensitive: frozenset[str], field: str | None, value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _seal_logged_value_041(keys, sensitive, key, item) if isinstance(item, dict)
                else keys.seal(key, item) if key in sensitive and item is not None and not is_token_041(item)
                else item for key, item in value.items()}
    if value is None or is_token_041(value) or field not in sensitive:
        return value
    return keys.seal(field, value)


def _seal_logged_041(keys: Keys041, sensitive: frozenset[str], field: str | None, value: str | None) -> str | None:
    """A change-log value written in clear (already encoded as text), in its sealed form."""
    if value is None or TOKEN_041 in value:
        return value
    if value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return json.dumps(_seal_logged_value_041(keys, sensitive, field, data), ensure_ascii=False,
                              sort_keys=True)
    return _seal_logged_value_041(keys, sensitive, field, value)


def entry_hash_041(prev_hash: str, row) -> str:
    """SHA-256 over the previous hash and each value, each after a 0x1F separator (None as 0x00)."""
    parts = [prev_hash] + ["\x00" if value is None else str(value) for value in row]
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def rechain_legacy_041(conn, keys: Keys041) -> None:
    """Seal the log's sensitive values, add the value digests, and re-hash the chain over the digests.

    Re-hashing happens only if the old chain verifies, so a log tampered with before the upgrade stays broken.
    """
    from sqlalchemy import text

    sensitive = _all_sensitive_041()
    rows = conn.execute(text(f"SELECT id, {', '.join(LOG_COLUMNS_041)}, prev_hash, hash FROM change_log "
                             "ORDER BY id")).all()
    prev, intact = "0" * 64, True
    for row in rows:
        if row[12] != prev or entry_hash_041(prev, row[1:12]) != row[13]:
            intact = False
            break
        prev = row[13]
    prev = "0" * 64
    for row in rows:
        entry_id, body = row[0], list(row[1:12])
        body[6], body[7] = (_seal_logged_041(keys, sensitive, body[5], body[6]),
                            _seal_logged_041(keys, sensitive, body[5], body[7]))
        digests = (keys.digest(body[6]), keys.digest(body[7]))
        new_hash = entry_hash_041(prev, (*body[:6], *digests, *body[8:])) if intact else row[13]
        conn.execute(text("UPDATE change_log SET old_value = :o, new_value = :n, old_digest = :od, new_digest = :nd, "
                          "prev_hash = :p, hash = :h WHERE id = :id"),
                     {"o": body[6], "n": body[7], "od": digests[0], "nd": digests[1],
                      "p": prev if intact else row[12], "h": new_hash, "id": entry_id})
        prev = new_hash
    if intact:
        conn.execute(text("UPDATE chain_head SET last_hash = :h WHERE id = 1"), {"h": prev})


# --- m070_bigram_name_index ------------------------------------------------------------------

def grams_070(name: str) -> set[str]:
    """The bigrams of a name (NFKC, lower case, spaces removed) plus its last character."""
    text = unicodedata.normalize("NFKC", name).strip().lower().replace(" ", "")
    if not text:
        return set()
    found = {text[i:i + 2] for i in range(len(text) - 1)}
    found.add(text[-1])
    return found
