"""`sitwatch report --week` keeps within 80 columns, as the docs promise (it goes out by e-mail
too, `sitwatch report-send`): the weekly table took 85 (its bar 8 cells wide), the symptom diary
at its end wrapped at 88, and the Nudges row wrapped inside its brackets ("16 (time to move 7 ·
posture 6 · lopsided 2 ·" / "wallet 1), acted on 4 of 16"). Through the command, with a diary
entry noted by `sitwatch log`."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from sitwatch.core.clock import ManualClock
from sitwatch.core.kinds import NudgeKind, Posture
from sitwatch.history.store import Store
from tests.helpers.cli import sitwatch_ok
from tests.helpers.history import TZ, Sitter
from tests.helpers.report_text import row_value

pytestmark = pytest.mark.integration

NOTE = ("after the long film evening on the old sofa, then the whole afternoon at the desk "
        "without the cushion's usual backrest pad")


def test_the_weekly_report_keeps_within_80_columns(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")  # the history's days are the report's
    yesterday = datetime.now(TZ).date() - timedelta(days=1)
    db = tmp_path / "data" / "sitwatch" / "history.sqlite"  # the default history
    db.parent.mkdir(parents=True)
    clock = ManualClock(datetime(yesterday.year, yesterday.month, yesterday.day, 8, tzinfo=TZ))
    with Store(db, clock) as store:
        p = Sitter(store, clock)
        p.at(yesterday, 9, layout="fsr-cushion-9")
        p.sit(50, back=False)
        p.sit(6, Posture.SLOUCHED, back=False)
        for kind, n in ((NudgeKind.PROLONGED_SITTING, 7), (NudgeKind.SLOUCH, 6),
                        (NudgeKind.ASYMMETRIC_LOAD, 2), (NudgeKind.WALLET, 1)):
            for i in range(n):
                p.nudge(kind, responded=i < 1)
        p.away(10)
        store.end_run()
    sitwatch_ok("log", "numbness", "--side", "left", "--where", "buttock", "--note", NOTE,
                home=tmp_path)
    text = sitwatch_ok("report", "--week", home=tmp_path)
    lines = text.splitlines()
    assert max(len(ln) for ln in lines) <= 80, "\n".join(ln for ln in lines if len(ln) > 80)
    assert any(ln.startswith(f"{yesterday:%a} {yesterday.day:>2} ██") for ln in lines), text
    assert "This is not a diagnosis." in text  # the diary block is there, wrapped
    nudges = [ln for ln in lines if ln.startswith("Nudges")]
    assert nudges and nudges[0].count("(") == nudges[0].count(")"), text
    assert row_value(text, "Nudges") == ("16, acted on 4 of 16: time to move 7 · posture 6 · "
                                         "lopsided 2 · wallet 1")
