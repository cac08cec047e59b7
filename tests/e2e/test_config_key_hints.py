"""A config key a new user puts in the wrong place or spells wrong: `sitwatch config validate`
(the real command) names the key meant, not only the keys allowed where it stands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(("body", "says"), [
    # README: "The usual things to change: cushion.port, cushion.layout, detect.sit_limit"
    ('sit_limit = "30m"\n', 'sit_limit: unknown key (it belongs in [detect]: detect.sit_limit)'),
    ('[cushion]\nsit_limit = "30m"\n',
     "cushion.sit_limit: unknown key (it belongs in [detect]: detect.sit_limit)"),
    ('[cushion]\nprot = "/dev/ttyACM0"\n', "cushion.prot: unknown key (did you mean port?)"),
    ("[nudges]\ndesktp = false\n", "nudges.desktp: unknown key (did you mean desktop?)"),
])
def test_an_unknown_key_names_the_key_meant(tmp_path: Path, body: str, says: str) -> None:
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text(body, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sitwatch", "config", "validate", str(cfg)],
                          capture_output=True, text=True, timeout=60, env=scratch_env(tmp_path))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"  {cfg}: {says}; allowed here: " in done.stderr, done.stderr


def test_a_key_like_none_keeps_the_list_alone(tmp_path: Path) -> None:
    cfg = tmp_path / "sitwatch.toml"
    cfg.write_text("[cushion]\nzzzzzz = 1\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "sitwatch", "config", "validate", str(cfg)],
                          capture_output=True, text=True, timeout=60, env=scratch_env(tmp_path))
    assert done.returncode == 2
    assert f"{cfg}: cushion.zzzzzz: unknown key; allowed here: baud," in done.stderr
