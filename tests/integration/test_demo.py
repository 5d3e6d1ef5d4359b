"""`make demo` is one of the two commands a new user runs: every scenario must end as it says."""

from __future__ import annotations

import pytest
from local import demo


@pytest.mark.parametrize("scenario", sorted(demo.SCENARIOS))
def test_every_demo_scenario_ends_as_expected(scenario: str, capsys: pytest.CaptureFixture[str]) -> None:
    # main() exits 0 only when the run ends with the scenario's expected status
    assert demo.main(["--scenario", scenario]) == 0
    out = capsys.readouterr().out
    assert "State transitions:" in out and "Traceback" not in out
    # every milestone's e-mail in full (subject and body), the time-to-live ones included (issue 14)
    emails = out.count("e-mail as the owner sees it:")
    assert emails >= 1 and emails == out.count("Subject: [finetune]")
    if scenario == "ttl":
        assert all(f"{milestone} e-mail as the owner sees it:" in " ".join(out.split()) for milestone in ("TTL_WARNING", "TORN_DOWN"))
