"""Static sitting at the front door (issue #13): ``sitwatch guidance`` has its advice, the
wheelchair layout says it turns the reminder on, and an own text for the kind is accepted."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def sitwatch(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CONFIG_HOME=str(cwd / "c"))
    return subprocess.run([sys.executable, "-m", "sitwatch", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_guidance_lists_and_explains_static_sitting(tmp_path: Path) -> None:
    listing = sitwatch("guidance", "--no-user-config", cwd=tmp_path)
    assert listing.returncode == 0
    assert any(line.startswith("static_sitting") and "Shift your weight" in line
               for line in listing.stdout.splitlines())
    cfg = tmp_path / "c.toml"
    cfg.write_text('[[nudges.texts]]\nkind = "static_sitting"\ntitle = "Push-up"\n'
                   'action = "Push up on the armrests and hold for 15 seconds."\n')
    full = sitwatch("guidance", "static_sitting", "--config", str(cfg), cwd=tmp_path)
    assert full.returncode == 0, full.stderr
    assert full.stdout.startswith("Shift your weight\nWhy: ")
    assert "Push-up: Push up on the armrests" in full.stdout
    assert "See a doctor" in full.stdout


def test_the_wheelchair_layout_shows_its_reminder_default(tmp_path: Path) -> None:
    out = sitwatch("layouts", "ethz-wheelchair-24", cwd=tmp_path)
    assert out.returncode == 0
    assert "detect.stillness.after = 1200.0" in out.stdout
    office = sitwatch("layouts", "smartchair-12", cwd=tmp_path)
    assert "detect.stillness" not in office.stdout


def test_a_bad_stillness_key_is_a_clear_config_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("[detect.stillness]\nafter = -5\n")
    out = sitwatch("guidance", "--config", str(cfg), cwd=tmp_path)
    assert out.returncode == 2
    assert str(cfg) in out.stderr and "detect.stillness.after" in out.stderr
    assert "Traceback" not in out.stderr
