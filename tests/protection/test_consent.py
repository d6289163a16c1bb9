"""Consent: recorded, listed and withdrawn per archive; sensitive values without consent warned or refused."""
from __future__ import annotations

from tests.builders import person, resident_id, set_args
from tests.helpers import snapshot


def test_add_list_withdraw(cli):
    number = cli.add(person())
    first = cli.json("consent", "add", number, "--purpose", "会员服务", "--channel", "纸质表格", "--date", "2024/3/1")
    assert first["scope"] == "basic" and first["given_on"] == "2024-03-01"
    second = cli.ok("consent", "add", number, "--purpose", "信贷审核", "--scope", "sensitive",
                    "--channel", "app").stdout.strip()
    listed = cli.json("consent", "list", number)["consents"]
    assert [c["purpose"] for c in listed] == ["会员服务", "信贷审核"] and all(c["active"] for c in listed)
    cli.ok("consent", "withdraw", number, second)
    listed = cli.json("consent", "list", number)["consents"]
    assert listed[1]["active"] is False and listed[1]["withdrawn_on"]
    assert cli("consent", "withdraw", number, second).exit_code == 1
    assert cli("consent", "withdraw", number, "999").exit_code == 1
    actions = [e["action"] for e in cli.json("history", number)["changes"]]
    assert actions == ["create", "consent", "consent", "consent-withdraw"]


def test_bad_consent_input_changes_nothing(cli, db_target):
    number = cli.add(person())
    before = snapshot(db_target)
    for args in (["--purpose", "x", "--channel", "y", "--scope", "everything"],
                 ["--purpose", " ", "--channel", "y"],
                 ["--purpose", "x", "--channel", "y", "--date", "2999-01-01"],
                 ["--purpose", "x", "--channel", "y", "--date", "yesterday"]):
        result = cli("consent", "add", number, *args)
        assert result.exit_code == 1 and "Traceback" not in result.stderr, args
    assert cli("consent", "add", number, "--purpose", "x").exit_code == 2
    assert snapshot(db_target) == before


def test_sensitive_value_without_consent_warns(cli):
    result = cli.ok("add", "--no-input", *set_args(person(id_number=resident_id())))
    assert "sensitive-scope consent" in result.stderr
    number = result.stdout.strip()
    cli.ok("consent", "add", number, "--purpose", "开户", "--scope", "sensitive", "--channel", "柜台")
    quiet = cli.ok("update", number, "--set", "bank_account=6222020200112233445")
    assert "consent" not in quiet.stderr
    plain = cli.ok("add", "--no-input", *set_args(person(name="无敏感", phone="13800000003")))
    assert "consent" not in plain.stderr


def test_refuse_mode_from_settings(cli, db_target, tmp_path):
    config = tmp_path / "config"
    config.mkdir(exist_ok=True)
    (config / "settings.toml").write_text('[protection]\nsensitive_without_consent = "refuse"\n', encoding="utf-8")
    rid = resident_id()
    number = cli.add(person())
    before = snapshot(db_target)
    refused = cli("add", "--no-input", *set_args(person(name="乙", phone="13800000004", id_number=rid)))
    assert refused.exit_code == 1 and "consent" in refused.stderr
    refused = cli("update", number, "--set", f"id_number={rid}")
    assert refused.exit_code == 1 and "consent" in refused.stderr
    for header, value in (("id_number", rid), ("annual_income", "12万")):  # a column, a template field
        rows = tmp_path / f"{header}.csv"
        rows.write_text(f"name,phone,{header}\n丙,13800000005,{value}\n丁,13800000006,\n", encoding="utf-8")
        refused = cli("import", str(rows), "--template", "individual")
        assert refused.exit_code == 1 and "consent" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(db_target) == before
    consent_id = cli.ok("consent", "add", number, "--purpose", "开户", "--scope", "sensitive",
                        "--channel", "柜台").stdout.strip()
    cli.ok("update", number, "--set", f"id_number={rid}")
    cli.ok("consent", "withdraw", number, consent_id)
    assert cli("update", number, "--set", "bank_account=6222020200112233445").exit_code == 1
