"""Every config sample in the docs is a config sitwatch accepts.

docs/channels.md once showed a `[nudges.dnd] channels` key that the config rejects
(`extra="forbid"`): a user copying it got exit 2. This keeps the samples and the model together.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from sitwatch.config import Config

ROOT = Path(__file__).resolve().parents[3]
SECTIONS = set(Config.model_fields)


def samples() -> list[tuple[str, str]]:
    out = []
    others = [ROOT / d / "README.md" for d in ("calibration", "systemd", "firmware")]
    for doc in sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md", *others]):
        for i, block in enumerate(re.findall(r"```toml\n(.*?)```", doc.read_text(), re.S)):
            out.append((f"{doc.relative_to(ROOT)}#{i + 1}", block))
    return out


@pytest.mark.parametrize(("where", "block"), samples(), ids=[w for w, _ in samples()])
def test_config_samples_in_the_docs_are_valid(where: str, block: str) -> None:
    data = tomllib.loads(block)
    if not set(data) <= SECTIONS:
        pytest.skip(f"{where} is not a sitwatch config sample ({', '.join(data)})")
    Config.model_validate(data)


def test_channels_doc_names_every_nudge_kind_where_it_lists_them() -> None:
    """docs/channels.md lists the nudge kinds three times (the hook's {kind}, Home Assistant's
    event types, the buzzer's table): they named four of the six, leaving out the day's budget
    and static sitting, which the code sends."""
    from sitwatch.core.kinds import NUDGE_KINDS

    text = (ROOT / "docs" / "channels.md").read_text()
    hook = next(x for x in text.splitlines() if x.startswith("| `{kind}` |"))
    event = next(x for x in text.splitlines() if x.startswith("| Nudge | `event` |"))
    buzzer = next(x for x in text.splitlines() if x.startswith("patterns = {"))
    for where, line in (("hook", hook), ("event", event), ("buzzer", buzzer)):
        missing = [k for k in NUDGE_KINDS if k.value not in line]
        assert not missing, (where, missing)
    from sitwatch.config import Buzzer

    assert tomllib.loads(buzzer)["patterns"] == {
        k.value: v for k, v in Buzzer().patterns.items()}, "the buzzer's default table"
