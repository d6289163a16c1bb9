"""Rights enforced by the PostgreSQL server itself (``custarchive db roles``), not only by custarchive.

Once set up, who you are is your server login (``session_user``), and a login reaching the database
with ``psql`` gets no more than through custarchive:

- one group role per custarchive role (admin, manager, clerk, viewer: the roles of
  ``data/permissions.toml``), a login per person in one of them (``user add`` creates it);
- GRANTs per group: readers SELECT, writers also INSERT/UPDATE/DELETE, a role's hidden columns
  (a viewer's sensitive ones) left out of its column grant on ``customers``;
- the change log and the security log are append-only for everyone: no UPDATE or DELETE grant, and a
  trigger refusing them (the one UPDATE let through is ``erase`` blanking an erased customer's
  values, which the hash chain is built to survive; only roles with the erase action have that grant);
- row-level security on ``customers`` (owner / team / collaborator / pool, by the scope of the login's
  role) and on every table with a ``customer_id``, whose policy is "its archive is visible", so they
  follow the customers policy;
- ``custarchive_duplicates``: a SECURITY DEFINER function giving number, name and owner of possible
  duplicates, so entry still warns of another owner's customer without revealing the rest;
  ``custarchive_holders`` likewise for the identity keys (resident ID, credit code, archive number),
  which stay unique across every owner's archives.

The scopes are baked into the policy function when ``db roles`` runs: run it again after changing
``permissions.toml``. Table owners bypass row-level security: the login that owns the tables (that
ran the first command and the migrations) is the set-up account, not one for daily work.
"""
from __future__ import annotations

from sqlalchemy import text

from custarchive.core import authz
from custarchive.core.changelog import Actor, ChangeEntry, record
from custarchive.errors import PermissionDenied, UsageError

MARK = "server_rights"           # protection_meta row: set once ``db roles`` has run
APPEND_ONLY = ("change_log", "security_log")
ADMIN_TABLES = ("users", "protection_meta")   # written only by roles with the manage_users action
_REFUSE = "custarchive_append_only"


def enabled(conn) -> bool:
    """Whether this archive's rights are enforced by the server (PostgreSQL after ``db roles``)."""
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(text("SELECT 1 FROM protection_meta WHERE name = :n"), {"n": MARK}).first() is not None


def login(conn) -> str:
    return conn.execute(text("SELECT session_user")).scalar()


def _q(conn, name: str) -> str:
    return conn.dialect.identifier_preparer.quote(name)


def _role_exists(conn, name: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).first() is not None


def _writer(actions: frozenset[str]) -> bool:
    return bool(actions & {"add", "update", "import", "grade", "merge", "erase", "assign", "claim"})


def _customer_tables(conn) -> list[str]:
    rows = conn.execute(text("SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() "
                             "AND column_name = 'customer_id' ORDER BY table_name"))
    return [row[0] for row in rows]


def _tables(conn) -> list[str]:
    rows = conn.execute(text("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
                             "AND table_type = 'BASE TABLE' ORDER BY table_name"))
    return [row[0] for row in rows]


def _columns(conn, table: str) -> list[str]:
    rows = conn.execute(text("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                             "AND table_name = :t ORDER BY ordinal_position"), {"t": table})
    return [row[0] for row in rows]


def _array(values) -> str:
    return "ARRAY[" + ", ".join("'" + value.replace("'", "''") + "'" for value in values) + "]::varchar[]"


def setup(conn, actor: Actor) -> dict:
    """Create the group roles, GRANTs, append-only triggers and row-level security; idempotent.

    Run by the database owner (the login that owns the tables, with CREATEROLE). Users already
    registered get a login each (no password: set one with ALTER ROLE … PASSWORD, or use the
    server's own authentication). With no users yet, the login running this becomes the first admin.
    """
    if conn.dialect.name != "postgresql":
        raise UsageError("db roles is for PostgreSQL archives; a SQLite file is one person's (or one shared "
                         "file's) archive, with roles checked by custarchive only")
    me = login(conn)
    authz.require(conn, Actor(me), "manage_users")
    table = authz.permission_table()
    scopes = authz.scope_table()
    schema = conn.execute(text("SELECT current_schema()")).scalar()
    database = conn.execute(text("SELECT current_database()")).scalar()
    q = lambda name: _q(conn, name)  # noqa: E731
    for group in table:
        if not _role_exists(conn, group):
            conn.execute(text(f"CREATE ROLE {q(group)} NOLOGIN"))
    groups = ", ".join(q(group) for group in table)
    conn.execute(text(f"GRANT CONNECT ON DATABASE {q(database)} TO {groups}"))
    conn.execute(text(f"GRANT USAGE ON SCHEMA {q(schema)} TO {groups}"))
    tables = _tables(conn)
    conn.execute(text(f"REVOKE ALL ON {', '.join(q(t) for t in tables)} FROM PUBLIC, {groups}"))
    customers_columns = _columns(conn, "customers")
    for group, actions in table.items():
        hidden = authz.hidden_columns(group)
        readable = ", ".join(q(c) for c in customers_columns if c not in hidden)
        conn.execute(text(f"GRANT SELECT ({readable}) ON customers TO {q(group)}"))
        others = [t for t in tables if t != "customers"]
        conn.execute(text(f"GRANT SELECT ON {', '.join(q(t) for t in others)} TO {q(group)}"))
        conn.execute(text(f"GRANT INSERT ON security_log TO {q(group)}"))  # its own refusals
        if _writer(actions):
            # not the users (the policy reads roles and teams from it) nor the protection facts:
            # only roles that manage users write those
            kept = APPEND_ONLY + ("schema_migrations",) + (() if "manage_users" in actions else ADMIN_TABLES)
            writable = [t for t in tables if t not in kept]
            conn.execute(text(f"GRANT INSERT, UPDATE, DELETE ON {', '.join(q(t) for t in writable)} TO {q(group)}"))
            conn.execute(text(f"GRANT INSERT ON change_log TO {q(group)}"))
            conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {q(schema)} TO {q(group)}"))
        if "erase" in actions:
            conn.execute(text(f"GRANT UPDATE (old_value, new_value) ON change_log TO {q(group)}"))
    _append_only(conn)
    _row_security(conn, table, scopes)
    _duplicates_function(conn, groups)
    made = _logins_for_users(conn, me)
    if not enabled(conn):
        conn.execute(text("INSERT INTO protection_meta (name, value) VALUES (:n, '1')"), {"n": MARK})
    record(conn, [ChangeEntry(None, None, "server-rights", "roles", None, ", ".join(table))], Actor(me, source="cli"))
    return {"groups": list(table), "scopes": scopes, "logins_created": made, "tables": len(tables),
            "row_security": _customer_tables(conn) + ["customers"]}


def _append_only(conn) -> None:
    conn.execute(text(f"""CREATE OR REPLACE FUNCTION {_REFUSE}() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'change_log' THEN
            IF NEW.old_value IS NULL AND NEW.new_value IS NULL
               AND (to_jsonb(NEW) - 'old_value' - 'new_value') = (to_jsonb(OLD) - 'old_value' - 'new_value')
               AND EXISTS (SELECT 1 FROM customers c WHERE c.id = OLD.customer_id AND c.status = 'erased') THEN
                RETURN NEW;  -- erase blanks an erased customer's values; the hash chain still verifies
            END IF;
        END IF;
        RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
    END $$"""))
    for table in APPEND_ONLY:
        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))
        conn.execute(text(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                          f"FOR EACH ROW EXECUTE FUNCTION {_REFUSE}()"))
        conn.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}"))
        conn.execute(text(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                          f"FOR EACH STATEMENT EXECUTE FUNCTION {_REFUSE}()"))


def _row_security(conn, table: dict, scopes: dict) -> None:
    """customers: visible by ``custarchive_sees``; each table with a customer_id: its archive is visible."""
    every = [role for role, scope in scopes.items() if scope == "all"]
    team = [role for role, scope in scopes.items() if scope == "team"]
    claim = [role for role, actions in table.items() if "claim" in actions]
    conn.execute(text(f"""CREATE OR REPLACE FUNCTION custarchive_sees(c_owner varchar, c_team varchar, c_id integer)
        RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {_q(conn, conn.execute(
            text('SELECT current_schema()')).scalar())}, pg_temp AS $$
        SELECT EXISTS (SELECT 1 FROM users u WHERE u.name = session_user AND u.active = 1 AND (
            u.role = ANY ({_array(every) if every else "ARRAY[]::varchar[]"})
            OR c_owner = u.name
            OR (u.role = ANY ({_array(team) if team else "ARRAY[]::varchar[]"}) AND c_team = u.team)
            OR (c_owner IS NULL AND u.role = ANY ({_array(claim) if claim else "ARRAY[]::varchar[]"}))
            OR EXISTS (SELECT 1 FROM collaborators k WHERE k.customer_id = c_id AND k.name = u.name)))
        $$"""))
    conn.execute(text("REVOKE ALL ON FUNCTION custarchive_sees(varchar, varchar, integer) FROM PUBLIC"))
    groups = ", ".join(_q(conn, group) for group in table)
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION custarchive_sees(varchar, varchar, integer) TO {groups}"))
    conn.execute(text("ALTER TABLE customers ENABLE ROW LEVEL SECURITY"))
    conn.execute(text("DROP POLICY IF EXISTS custarchive_scope ON customers"))
    conn.execute(text("CREATE POLICY custarchive_scope ON customers USING (custarchive_sees(owner, team, id)) "
                      "WITH CHECK (custarchive_sees(owner, team, id))"))
    linked = "customer_id IS NULL OR customer_id IN (SELECT id FROM customers)"
    for child in _customer_tables(conn):
        conn.execute(text(f"ALTER TABLE {child} ENABLE ROW LEVEL SECURITY"))
        for name in ("custarchive_scope", "custarchive_read", "custarchive_append"):
            conn.execute(text(f"DROP POLICY IF EXISTS {name} ON {child}"))
        if child == "change_log":
            # anyone writing may append (the entry of an archive that just left their scope, too);
            # reading follows the archive
            conn.execute(text(f"CREATE POLICY custarchive_read ON {child} FOR SELECT USING ({linked})"))
            conn.execute(text(f"CREATE POLICY custarchive_append ON {child} FOR INSERT WITH CHECK (true)"))
            conn.execute(text(f"CREATE POLICY custarchive_scope ON {child} FOR UPDATE USING ({linked})"))
        else:
            conn.execute(text(f"CREATE POLICY custarchive_scope ON {child} USING ({linked}) WITH CHECK ({linked})"))


def _duplicates_function(conn, groups: str) -> None:
    schema = _q(conn, conn.execute(text("SELECT current_schema()")).scalar())
    conn.execute(text(f"""CREATE OR REPLACE FUNCTION custarchive_duplicates(col varchar, val varchar, exclude integer)
        RETURNS TABLE (archive_no varchar, name varchar, owner varchar)
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        BEGIN
            IF col NOT IN ('phone', 'email', 'name') THEN
                RAISE EXCEPTION 'custarchive_duplicates: % is not a duplicate key', col;
            END IF;
            RETURN QUERY EXECUTE format('SELECT c.archive_no, c.name, c.owner FROM customers c WHERE c.%I = $1 '
                'AND c.status = ''active'' AND c.id <> $2 ORDER BY c.archive_no LIMIT 5', col) USING val, exclude;
        END $$"""))
    conn.execute(text("REVOKE ALL ON FUNCTION custarchive_duplicates(varchar, varchar, integer) FROM PUBLIC"))
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION custarchive_duplicates(varchar, varchar, integer) TO {groups}"))
    # identity keys are unique across the whole archive: the check must see every owner's archives
    conn.execute(text(f"""CREATE OR REPLACE FUNCTION custarchive_holders(col varchar, vals varchar[])
        RETURNS TABLE (id integer, archive_no varchar, stored varchar)
        LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
        BEGIN
            IF col NOT IN ('archive_no', 'id_number_hmac', 'credit_code') THEN
                RAISE EXCEPTION 'custarchive_holders: % is not an identity key', col;
            END IF;
            RETURN QUERY EXECUTE format('SELECT c.id, c.archive_no, c.%I FROM customers c WHERE c.%I = ANY ($1)',
                                        col, col) USING vals;
        END $$"""))
    conn.execute(text("REVOKE ALL ON FUNCTION custarchive_holders(varchar, varchar[]) FROM PUBLIC"))
    conn.execute(text(f"GRANT EXECUTE ON FUNCTION custarchive_holders(varchar, varchar[]) TO {groups}"))


def _logins_for_users(conn, me: str) -> list[str]:
    """Every registered user gets a login in their group; the first run registers its own login as admin."""
    if conn.execute(text("SELECT 1 FROM users LIMIT 1")).first() is None:
        from custarchive.core.sqlutil import now

        conn.execute(text("INSERT INTO users (name, role, active, created_at, created_by) VALUES (:n, 'admin', 1, :t, :n)"),
                     {"n": me, "t": now()})
        record(conn, [ChangeEntry(None, None, "user-add", me, None, "admin")], Actor(me))
    made = []
    for name, role, active in conn.execute(text("SELECT name, role, active FROM users ORDER BY name")).all():
        if name == me:
            continue
        if not _role_exists(conn, name):
            create_login(conn, name, role)
            made.append(name)
        else:
            conn.execute(text(f"GRANT {_q(conn, role)} TO {_q(conn, name)}"))
    return made


def create_login(conn, name: str, role: str, password: str | None = None) -> None:
    """A login role for ``name`` in group ``role`` (an existing login just joins the group)."""
    q = lambda value: _q(conn, value)  # noqa: E731
    try:
        if _role_exists(conn, name):
            conn.execute(text(f"GRANT {q(role)} TO {q(name)}"))
        else:
            conn.execute(text(f"CREATE ROLE {q(name)} LOGIN IN ROLE {q(role)}"))
        if password:
            conn.execute(text(f"ALTER ROLE {q(name)} PASSWORD " + _literal(password)))
    except Exception as exc:  # noqa: BLE001 - the server's refusal, said plainly
        if "permission denied" in str(exc) or "must have" in str(exc):
            raise PermissionDenied(f"the server refused to create login {name!r}: run user add as the database "
                                   "owner (a login with CREATEROLE)") from None
        raise


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def move_login(conn, name: str, old_role: str, new_role: str) -> None:
    conn.execute(text(f"REVOKE {_q(conn, old_role)} FROM {_q(conn, name)}"))
    conn.execute(text(f"GRANT {_q(conn, new_role)} TO {_q(conn, name)}"))


def set_login_active(conn, name: str, active: bool) -> None:
    conn.execute(text(f"ALTER ROLE {_q(conn, name)} {'LOGIN' if active else 'NOLOGIN'}"))
