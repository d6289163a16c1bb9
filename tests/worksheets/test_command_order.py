"""One command shape for a person: ``swot show REF`` as well as ``swot REF show`` (and ``profile show REF``)."""
from __future__ import annotations

import json


def test_swot_and_profile_take_the_action_before_or_after_ref(cli):
    number = cli.add({"name": "华信", "phone": "13912345678"})
    cli.ok("swot", number, "add", "S", "老客户", "--no-input")
    first = json.loads(cli.ok("swot", number, "show", "--json").stdout)
    second = json.loads(cli.ok("swot", "show", number, "--json").stdout)
    assert first == second and [item["text"] for item in first["items"]] == ["老客户"]
    cli.ok("swot", "add", number, "W", "价格高", "--no-input")
    assert [item["text"] for item in cli.json("swot", number, "show")["items"]] == ["老客户", "价格高"]
    assert cli.json("profile", "show", number) == cli.json("profile", number, "show")
    assert cli("swot", "show", "X-404").exit_code == 1             # an unknown archive, not a usage error
