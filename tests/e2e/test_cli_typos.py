"""A typo in a flag, as a new user makes one: the real `sitwatch` command names the command it
was given to, the option it did not know and the one meant, with that command's usage."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.cli import scratch_env

pytestmark = pytest.mark.integration


def _sitwatch(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                          text=True, timeout=60, env=scratch_env(tmp_path))
    assert "Traceback" not in done.stderr, done.stderr
    return done


@pytest.mark.parametrize(("argv", "command", "typo", "meant"), [
    (("run", "--prot", "/dev/ttyACM0"), "sitwatch run", "--prot", "--port"),
    (("service", "install", "--dryrun"), "sitwatch service", "--dryrun", "--dry-run"),
    (("export", "--since", "2026-11-01", "--csv", "--histroy", "h.sqlite"), "sitwatch export",
     "--histroy", "--history"),
    (("report", "--week", "--fromat=html"), "sitwatch report", "--fromat", "--format"),
    (("feedback", "show", "--jsno"), "sitwatch feedback show", "--jsno", "--json"),
])
def test_a_mistyped_flag_names_the_command_and_the_flag_meant(tmp_path, argv, command, typo,
                                                              meant) -> None:
    """It said `sitwatch: error: unrecognized arguments: --prot /dev/ttyACM0` under the
    usage of `sitwatch` itself: neither which command nor which option was meant."""
    done = _sitwatch(tmp_path, *argv)
    assert done.returncode == 2, done.stderr
    assert f"usage: {command} " in done.stderr, done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"{command}: "), last
    assert f"unknown option {typo}" in last and f"did you mean {meant}?" in last, last
    assert done.stdout == ""


def test_an_unknown_flag_like_no_other_points_at_the_commands_help(tmp_path) -> None:
    done = _sitwatch(tmp_path, "status", "--zzzzzz")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert "unknown option --zzzzzz" in last and "`sitwatch status --help`" in last, last


def test_a_word_too_many_is_named_under_its_command(tmp_path) -> None:
    done = _sitwatch(tmp_path, "layouts", "smartchair-12", "extra")
    assert done.returncode == 2
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("sitwatch layouts: ") and "'extra'" in last, last
    assert "usage: sitwatch layouts " in done.stderr


def test_a_flag_that_exists_still_works(tmp_path) -> None:
    done = _sitwatch(tmp_path, "layouts", "smartchair-12", "--no-user-config")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("smartchair-12: 12 channels")


@pytest.mark.parametrize(("argv", "says"), [
    (("report", "--day", "2026-02-30"), "--day '2026-02-30': there is no such day "
                                        "(day is out of range for month)"),
    (("export", "--since", "2026-13-01", "--csv"), "--since '2026-13-01': there is no such "
                                                   "day (month must be in 1..12)"),
    (("export", "--since", "2026-11-01", "--until", "2026-11-31", "--csv"),
     "--until '2026-11-31': there is no such day (day is out of range for month)"),
])
def test_a_date_written_right_that_is_no_day_says_so(tmp_path, argv, says) -> None:
    """They said "write YYYY-MM-DD" of a date written just so: the day is what is wrong."""
    done = _sitwatch(tmp_path, *argv, "--no-user-config")
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip() == f"sitwatch: {says}", done.stderr


def test_a_date_in_another_shape_still_says_how_to_write_it(tmp_path) -> None:
    done = _sitwatch(tmp_path, "report", "--day", "yesterday", "--no-user-config")
    assert done.returncode == 2
    assert "write YYYY-MM-DD" in done.stderr


@pytest.mark.parametrize(("argv", "command", "said"), [
    (("reprot", "--week"), "sitwatch", "unknown command 'reprot': did you mean report?"),
    (("--config", "x.toml", "calibarte"), "sitwatch",
     "unknown command 'calibarte': did you mean calibrate?"),
    (("service", "instal", "--dry-run"), "sitwatch service",
     "unknown action 'instal': did you mean install?"),
    (("feedback", "wrnog"), "sitwatch feedback", "unknown command 'wrnog': did you mean wrong?"),
    (("log", "numbnes"), "sitwatch log", "unknown kind 'numbnes': did you mean numbness?"),
])
def test_a_mistyped_command_names_the_command_meant(tmp_path, argv, command, said) -> None:
    """`sitwatch reprot` listed all 26 commands ("invalid choice: 'reprot' (choose from 'run',
    ...)") and left the user to spot the one meant; now it names it, under the usage of the
    command the word was given to, exit 2 as before."""
    done = _sitwatch(tmp_path, *argv)
    assert done.returncode == 2, done.stderr
    assert f"usage: {command} " in done.stderr, done.stderr
    assert done.stderr.strip().splitlines()[-1] == f"{command}: error: {said}", done.stderr


def test_a_word_like_no_command_still_lists_them(tmp_path) -> None:
    done = _sitwatch(tmp_path, "xyzzy")
    assert done.returncode == 2
    assert "invalid choice: 'xyzzy' (choose from 'run'," in done.stderr, done.stderr


def test_an_options_value_is_not_taken_for_a_mistyped_word(tmp_path) -> None:
    """`sitwatch calibrate --port /tmp/cushion`, the README's simulator: the typo check took
    the port for the target word and stopped with "unknown target '/tmp/cushion': did you mean
    cushion?" (exit 2), though argparse reads it as --port's value."""
    env = scratch_env(tmp_path)
    done = subprocess.run([sys.executable, "-m", "sitwatch", "calibrate", "--no-user-config",
                           "--port", "./cushion", "--layout", "load-cells-4"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          stdin=subprocess.DEVNULL, env=env)
    assert "unknown target" not in done.stderr, done.stderr
    assert "--port ./cushion: no such device" in done.stderr, done.stderr  # the command ran
    # a target spelt nearly right after an option's value is still named
    typo = subprocess.run([sys.executable, "-m", "sitwatch", "calibrate", "--port", "./cushion",
                           "camra"], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env=env)
    assert typo.returncode == 2
    assert "unknown target 'camra': did you mean camera?" in typo.stderr, typo.stderr
