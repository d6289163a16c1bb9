"""Sensitive values at rest: AES-GCM tokens, keyed-hash indexes, and a key kept outside the database.

The key is 32 random bytes, from ``$CUSTARCHIVE_KEY`` (base64), or from a key file (mode 0600) kept
apart from the data: ``<config dir>/keys/<fingerprint>.key`` in the per-user config directory, found by
the fingerprint the database keeps, so a moved database still finds it and a copied folder carries no
key. ``$CUSTARCHIVE_KEY_FILE`` names another file; ``[key] beside_database = true`` in settings.toml
keeps a new SQLite database's key beside it (``<db>.key``), as older versions did, and such a file is
still found (``check`` says so). A server database's key was kept as ``<config dir>/keys/<host>_<port>_<db>.key``
and still is for a new one (both names are looked up).
Three subkeys are derived from it, so encryption, the exact-match index and the change-log digests never
share bytes. The database keeps only a fingerprint of the key, to refuse a wrong key with a clear message.

This module is on the start-up path (masking); ``cryptography`` is imported only when a value is
actually encrypted or decrypted.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import os
from binascii import a2b_base64, b2a_base64
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

from custarchive.config import config_dir
from custarchive.core.masking import mask, sensitive_fields  # noqa: F401 - the one masking, used by callers here
from custarchive.core.templates import template_files
from custarchive.errors import ConfigError

TOKEN = "enc1:"
SENSITIVE_COLUMNS = ("id_number", "bank_account")
INDEX_COLUMNS = {"id_number": "id_number_hmac", "bank_account": "bank_account_hmac"}
KEY_ENV = "CUSTARCHIVE_KEY"


class Keyring:
    """The subkeys derived from one master key.

    Per value only the message is hashed: the keyed HMAC states are made once and
    copied (``hmac.HMAC.copy``), the AES-GCM object is built once, and resident-ID
    index digests are remembered for a while (a batch asks for each one several times).
    """

    _INDEX_MEMO = 12_000

    def __init__(self, master: bytes):
        derive = lambda label: hmac.new(master, b"custarchive/" + label, hashlib.sha256).digest()  # noqa: E731
        self._encrypt_key = derive(b"encrypt")
        self._index_key = derive(b"index")
        self._log_key = derive(b"log")
        self.fingerprint = derive(b"fingerprint").hex()[:32]
        self._aead = None
        self._index_mac = hmac.new(self._index_key, digestmod=hashlib.sha256)
        self._log_mac = hmac.new(self._log_key, digestmod=hashlib.sha256)
        self._index_memo: dict[tuple[str, Any], str] = {}
        self._fields: dict[str, bytes] = {}
        self._openers: dict[str, Any] = {}

    def _cipher(self):
        if self._aead is None:
            from cryptography.hazmat.primitives.ciphers.aead import AESGCM

            self._aead = AESGCM(self._encrypt_key)
        return self._aead

    def seal(self, field: str, value: Any) -> str | None:
        """A token for one value; the field name is authenticated, so tokens cannot be swapped between fields."""
        if value is None:
            return None
        nonce = os.urandom(12)
        plain = (encode_basestring(value) if value.__class__ is str
                 else json.dumps(value, ensure_ascii=False)).encode("utf-8")
        associated = self._fields.get(field)
        if associated is None:
            associated = self._fields[field] = field.encode()
        sealed = self._aead.encrypt(nonce, plain, associated) if self._aead else self._cipher().encrypt(
            nonce, plain, associated)
        return TOKEN + b2a_base64(nonce + sealed, newline=False).decode()

    def open(self, field: str, token: Any) -> Any:
        if not is_token(token):
            return token
        return self.opener(field)(token)

    def opener(self, field: str):
        """``open`` of one field's tokens (str or their ASCII bytes) for many values: an export opens
        one per archive, so the cipher, the field bytes and the import are looked up once."""
        found = self._openers.get(field)
        if found is not None:
            return found
        from cryptography.exceptions import InvalidTag

        decrypt = self._cipher().decrypt
        associated = self._fields.get(field)
        if associated is None:
            associated = self._fields[field] = field.encode()
        start = len(TOKEN)

        def open_token(token):
            raw = a2b_base64(token[start:])
            try:
                plain = decrypt(raw[:12], raw[12:], associated)
            except InvalidTag:
                raise ConfigError(f"{field}: a stored value does not decrypt with this key "
                                  "(altered, or another key)") from None
            if plain[:1] == b'"' and b"\\" not in plain:  # a JSON string without escapes: its text as is
                return plain[1:-1].decode("utf-8")
            return json.loads(plain)

        self._openers[field] = open_token
        return open_token

    def index(self, field: str, value: Any) -> str | None:
        """Keyed hash for exact-match lookups: equal values give equal digests; the value cannot be guessed back."""
        if value is None:
            return None
        memo = self._index_memo
        found = memo.get((field, value))
        if found is None:
            mac = self._index_mac.copy()
            mac.update(f"{field}\x1f{value}".encode())
            found = mac.hexdigest()
            if len(memo) >= self._INDEX_MEMO:
                memo.clear()
            memo[(field, value)] = found
        return found

    def digest(self, value: str | None) -> str | None:
        """What the change-log chain covers instead of the value itself, so erased values leave the chain whole."""
        if value is None:
            return None
        mac = self._log_mac.copy()
        mac.update(value.encode("utf-8"))
        return mac.hexdigest()


def is_token(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(TOKEN)


KEY_FILE_ENV = "CUSTARCHIVE_KEY_FILE"


def keys_dir() -> Path:
    return config_dir() / "keys"


def key_path(url) -> Path:
    """Where an older version kept a database's key, and where a server database's new key goes:
    beside a SQLite file (``<db>.key``); for a server database, named after it in the config dir."""
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return Path(url.database + ".key")

    label = f"{url.host or 'local'}_{url.port or ''}_{url.database or 'db'}".replace("/", "_")
    return keys_dir() / f"{label}.key"


def fingerprint_path(fingerprint: str) -> Path:
    """The key file named after the key's fingerprint, in the per-user config directory."""
    return keys_dir() / f"{fingerprint}.key"


def beside_wanted() -> bool:
    """The user asked for a new SQLite database's key beside it (``[key] beside_database = true``)."""
    from custarchive.config import load_settings

    section = load_settings().get("key") or {}
    value = section.get("beside_database", False) if isinstance(section, dict) else False
    if not isinstance(value, bool):
        raise ConfigError(f"settings.toml [key] beside_database must be true or false, not {value!r}")
    return value


def stored_fingerprint(conn) -> str | None:
    """The key fingerprint the database keeps, read once per connection: it is written once (with
    the first key) and never changes, and every card read resolves the key (no query per card)."""
    from sqlalchemy import text

    found = conn.info.get(_FINGERPRINT_INFO)
    if found is None:
        found = conn.execute(text("SELECT value FROM protection_meta WHERE name = 'key_fingerprint'")).scalar()
        if found is not None:
            conn.info[_FINGERPRINT_INFO] = found
    return found


_FINGERPRINT_INFO = "custarchive.key_fingerprint"


def forget_fingerprint(conn) -> None:
    """Drop the connection's remembered fingerprint: for the one writer that replaces it, ``db copy``
    (the target takes the source's protection_meta, and so its key)."""
    conn.info.pop(_FINGERPRINT_INFO, None)


def key_locations(conn) -> list[tuple[Path, str]]:
    """The files that may hold this database's key, in the order they are tried, each with where it is."""
    named = os.environ.get(KEY_FILE_ENV)
    if named:
        return [(Path(named).expanduser(), f"${KEY_FILE_ENV}")]
    url = conn.engine.url
    fingerprint = stored_fingerprint(conn)
    found = [(fingerprint_path(fingerprint), "config")] if fingerprint else []
    legacy = key_path(url)
    found.append((legacy, "beside" if url.get_backend_name() == "sqlite" else "config"))
    return found


def store_key(master: bytes) -> Path:
    """Keep ``master`` in the per-user config directory (``key import``, ``restore``, ``db copy``)."""
    path = fingerprint_path(Keyring(master).fingerprint)
    if path.exists() and read_key_file(path) == master:
        return path
    path.unlink(missing_ok=True)
    write_key_file(path, master)
    return path


def master_from_env() -> bytes | None:
    value = os.environ.get(KEY_ENV)
    if not value:
        return None
    try:
        master = base64.urlsafe_b64decode(value.strip() + "=" * (-len(value.strip()) % 4))
    except ValueError:
        master = b""
    if len(master) != 32:
        raise ConfigError(f"${KEY_ENV} must be 32 bytes in base64 (e.g. from: custarchive key new)")
    return master


def read_key_file(path: Path) -> bytes:
    try:
        data = path.read_bytes().strip()
    except OSError as exc:
        raise ConfigError(f"cannot read key file {path}: {exc.strerror}") from None
    try:
        master = base64.urlsafe_b64decode(data)
    except ValueError:
        master = b""
    if len(master) != 32:
        raise ConfigError(f"key file {path} is not a custarchive key")
    return master


def write_key_file(path: Path, master: bytes) -> None:
    """Create ``path`` 0600 atomically; if another process made it first, keep theirs."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    try:
        os.write(fd, encode_key(master).encode() + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(temp, path)
    except FileExistsError:
        pass
    finally:
        temp.unlink()


def new_master_key() -> bytes:
    return os.urandom(32)


def encode_key(master: bytes) -> str:
    """The text form of a key, as $CUSTARCHIVE_KEY and key files hold it."""
    return base64.urlsafe_b64encode(master).decode()


_verified: dict[tuple[str, bytes], Keyring] = {}


def _master(conn, create: bool) -> tuple[bytes, str]:
    found = find_key(conn, create)
    return found[0], found[1]


def find_key(conn, create: bool = False) -> tuple[bytes, str, str]:
    """(key, where it came from, kind): kind is ``env``, ``config`` (the per-user config directory),
    ``beside`` (a file beside the SQLite database) or ``$CUSTARCHIVE_KEY_FILE``.

    A new database (no fingerprint yet, ``create``) gets a new key in the config directory, or
    beside the file when the user asked for that; callers hold the write lock, so two first
    writers never make two keys.
    """
    master = master_from_env()
    if master is not None:
        return master, f"${KEY_ENV}", "env"
    locations = key_locations(conn)
    for path, kind in locations:
        if path.exists():
            return read_key_file(path), str(path), kind
    if not create or stored_fingerprint(conn) is not None:
        expected = " or ".join(str(path) for path, _kind in locations)
        raise ConfigError(f"no key for this database (expected {expected} or ${KEY_ENV}; a team member "
                          "gets it with: custarchive key import); sensitive values and the change log "
                          "cannot be used without it")
    master = new_master_key()
    url = conn.engine.url
    if os.environ.get(KEY_FILE_ENV):
        path, kind = locations[0]
    elif url.get_backend_name() == "sqlite" and beside_wanted():
        path, kind = key_path(url), "beside"
    elif url.get_backend_name() == "sqlite":
        path, kind = fingerprint_path(Keyring(master).fingerprint), "config"
    else:
        path, kind = key_path(url), "config"
    write_key_file(path, master)
    return read_key_file(path), str(path), kind


def import_key(conn, text: str, where: str) -> Path:
    """Keep a key handed over by a colleague (``key export``) for this database, in the per-user config
    directory; a key that does not belong to the database is refused and nothing is written."""
    try:
        master = base64.urlsafe_b64decode(text.strip() + "=" * (-len(text.strip()) % 4))
    except ValueError:
        master = b""
    if len(master) != 32:
        raise ConfigError(f"{where} does not hold a custarchive key (the text `custarchive key export` prints)")
    check_fingerprint(conn, Keyring(master), where)
    return store_key(master)


def key_source(conn) -> bytes:
    """The master key bytes in use for ``conn`` (to copy next to a backup)."""
    return _master(conn, False)[0]


def check_fingerprint(conn, keys: Keyring, where: str = "the given key", create: bool = False) -> None:
    from sqlalchemy import text

    stored = conn.execute(text("SELECT value FROM protection_meta WHERE name = 'key_fingerprint'")).scalar()
    if stored is None:
        if not create:
            raise ConfigError("this database has no key fingerprint yet (run any writing command once)")
        conn.execute(text("INSERT INTO protection_meta (name, value) VALUES ('key_fingerprint', :v)"),
                     {"v": keys.fingerprint})
    elif stored != keys.fingerprint:
        raise ConfigError(f"the key from {where} does not belong to this database")


def keyring(conn, create: bool = False) -> Keyring:
    """The key of the database behind ``conn``, checked against the fingerprint the database keeps."""
    master, where = _master(conn, create)
    cache_key = (conn.engine.url.render_as_string(hide_password=False), master)
    found = _verified.get(cache_key)
    if found is not None:
        return found
    keys = Keyring(master)
    check_fingerprint(conn, keys, where, create)
    _verified[cache_key] = keys
    return keys


def seal_extra(keys: Keyring, template_name: str, extra: dict | None) -> dict:
    if not extra:
        return {}
    secret = sensitive_fields(template_name)
    return {name: keys.seal(name, value) if name in secret and not is_token(value) else value
            for name, value in (extra or {}).items()}


def seal_card(keys: Keyring, card: dict) -> dict:
    """Storage form of a plain card: sensitive columns and template fields as tokens, plus index digests."""
    sealed = dict(card)
    for name in SENSITIVE_COLUMNS:
        value = card.get(name)
        sealed[name] = keys.seal(name, value)
        sealed[INDEX_COLUMNS[name]] = keys.index(name, value)
    sealed["extra"] = seal_extra(keys, card.get("template"), card.get("extra"))
    return sealed


def open_card(conn, card: dict) -> dict:
    """Plain card from its stored form (in place); loads the key only if the card holds a token."""
    tokens = [name for name in SENSITIVE_COLUMNS if is_token(card.get(name))]
    extra_tokens = [name for name, value in card["extra"].items() if is_token(value)]
    if tokens or extra_tokens:
        keys = keyring(conn)
        for name in tokens:
            card[name] = keys.open(name, card[name])
        for name in extra_tokens:
            card["extra"][name] = keys.open(name, card["extra"][name])
    return card


def open_logged(conn, field: str | None, value: str | None, reveal: bool = False) -> str | None:
    """A change-log value for display: tokens opened (also inside a logged card), masked unless ``reveal``."""
    if value is None or TOKEN not in value:
        return value
    keys = keyring(conn)

    def show(name, item):
        if isinstance(item, dict):
            return {key: show(key, sub) for key, sub in item.items()}
        if not is_token(item):
            return item
        plain = keys.open(name or "", item)
        return plain if reveal else mask(name, plain if isinstance(plain, str) else json.dumps(plain))

    if is_token(value):
        plain = show(field, value)
        return plain if isinstance(plain, str) else json.dumps(plain, ensure_ascii=False)
    return json.dumps(show(field, json.loads(value)), ensure_ascii=False, sort_keys=True)


@functools.lru_cache(maxsize=1)
def all_sensitive_fields() -> frozenset[str]:
    """Fields sensitive in any template: what the change log seals, whatever the archive's template."""
    names: set[str] = set()
    for name in template_files():
        names |= sensitive_fields(name)
    return frozenset(names)


def seal_logged_value(keys: Keyring, field: str | None, value: Any) -> Any:
    """A change-log value with every sensitive part sealed: the value of a sensitive field, or the
    sensitive keys of a logged card (a dict, walked recursively). Tokens are left as they are, and
    a dict with nothing to seal is returned as it is."""
    if isinstance(value, dict):
        sensitive = all_sensitive_fields()
        sealed = None
        for key, item in value.items():
            if isinstance(item, dict):
                new = seal_logged_value(keys, key, item)
            elif key in sensitive and item is not None and not is_token(item):
                new = keys.seal(key, item)
            else:
                continue
            if new is not item:
                if sealed is None:
                    sealed = dict(value)
                sealed[key] = new
        return value if sealed is None else sealed
    if value is None or is_token(value) or field not in all_sensitive_fields():
        return value
    return keys.seal(field, value)


def seal_logged(keys: Keyring, field: str | None, value: str | None) -> str | None:
    """A change-log value written in clear by an older version (already encoded), in its sealed form."""
    if value is None or TOKEN in value:
        return value
    if value.startswith("{"):
        try:
            data = json.loads(value)
        except ValueError:
            data = None
        if isinstance(data, dict):
            return json.dumps(seal_logged_value(keys, field, data), ensure_ascii=False, sort_keys=True)
    return seal_logged_value(keys, field, value)


def seal_existing_cards(conn, keys: Keyring) -> None:
    """Encrypt sensitive values an older version stored in clear (idempotent)."""
    from sqlalchemy import text

    rows = conn.execute(text("SELECT id, template, id_number, bank_account, extra FROM customers "
                             "WHERE id_number IS NOT NULL OR bank_account IS NOT NULL OR extra IS NOT NULL")).all()
    for cid, template, id_number, bank_account, extra in rows:
        plain = {"template": template, "id_number": keys.open("id_number", id_number),
                 "bank_account": keys.open("bank_account", bank_account),
                 "extra": json.loads(extra) if extra else {}}
        sealed = seal_card(keys, plain)
        conn.execute(text("UPDATE customers SET id_number = :i, bank_account = :b, id_number_hmac = :ih, "
                          "bank_account_hmac = :bh, extra = :e WHERE id = :id"),
                     {"i": sealed["id_number"] if id_number is None or not is_token(id_number) else id_number,
                      "b": sealed["bank_account"] if bank_account is None or not is_token(bank_account) else bank_account,
                      "ih": sealed["id_number_hmac"], "bh": sealed["bank_account_hmac"],
                      "e": json.dumps(sealed["extra"], ensure_ascii=False, sort_keys=True) if sealed["extra"] else None,
                      "id": cid})
