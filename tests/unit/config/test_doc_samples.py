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
    for doc in sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md"]):
        for i, block in enumerate(re.findall(r"```toml\n(.*?)```", doc.read_text(), re.S)):
            out.append((f"{doc.name}#{i + 1}", block))
    return out


@pytest.mark.parametrize(("where", "block"), samples(), ids=[w for w, _ in samples()])
def test_config_samples_in_the_docs_are_valid(where: str, block: str) -> None:
    data = tomllib.loads(block)
    if not set(data) <= SECTIONS:
        pytest.skip(f"{where} is not a sitwatch config sample ({', '.join(data)})")
    Config.model_validate(data)
