"""The service installer's plans and unit texts (the command itself: tests/e2e)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from sitwatch.runtime import service


@pytest.fixture(autouse=True)
def _homes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("SITWATCH_SYSTEM_ROOT", str(tmp_path / "sys"))


def _exec(text: str) -> list[str]:
    line = next(ln for ln in text.splitlines() if ln.startswith("ExecStart="))
    return shlex.split(line.removeprefix("ExecStart="))


def test_user_unit_starts_this_sitwatch_and_quotes_odd_paths() -> None:
    text = service.user_unit(["/opt/my venv/bin/sitwatch"], Path("/home/a/100% cfg.toml"))
    assert text.startswith(service.MARK)
    # systemd unquotes like a shell and turns %% back into %
    assert _exec(text.replace("%%", "%")) == [
        "/opt/my venv/bin/sitwatch", "run", "--config", "/home/a/100% cfg.toml"]
    assert text.count("ExecStart=") == 1
    assert "UMask=0077" in text  # the shipped unit's settings come along


def test_system_unit_runs_headless() -> None:
    text = service.system_unit(["/usr/local/bin/sitwatch"])
    assert _exec(text) == ["/usr/local/bin/sitwatch", "run", "--headless"]
    assert "ProtectHome=yes" in text and "User=sitwatch" in text


def test_system_install_refuses_a_program_under_home() -> None:
    with pytest.raises(service.ServiceError, match="ProtectHome"):
        service.plan_system_install(["/home/ann/.local/bin/sitwatch"])


def test_user_plan_with_and_without_systemd() -> None:
    with_sd = service.plan_user_install(["/x/sitwatch"], systemd=True, start=False)
    argvs = [s.argv for s in with_sd.steps if s.argv]
    assert argvs == [("systemctl", "--user", "daemon-reload"),
                     ("systemctl", "--user", "enable", "sitwatch.service")]
    without = service.plan_user_install(["/x/sitwatch"], systemd=False)
    assert [s.path for s in without.steps] == [service.autostart_path()]
    assert not any(s.argv for s in without.steps)


def test_only_our_files_are_replaced_or_removed(tmp_path: Path) -> None:
    unit = service.user_unit_path()
    unit.parent.mkdir(parents=True)
    unit.write_text("[Service]\nExecStart=/bin/true\n")
    with pytest.raises(service.ServiceError, match="--force"):
        service.plan_user_install(["/x/sitwatch"], systemd=True)
    with pytest.raises(service.ServiceError, match="--force"):
        service.plan_user_uninstall(systemd=True)
    assert service.plan_user_install(["/x/sitwatch"], systemd=True, force=True).steps
    service.carry_out(service.plan_user_install(["/x/sitwatch"], systemd=False),
                      say=lambda _s: None)
    assert service.ours(service.autostart_path())


def test_carry_out_stops_at_a_failing_command_and_names_it() -> None:
    import subprocess

    def runner(argv):  # type: ignore[no-untyped-def]
        return subprocess.CompletedProcess(argv, 1, "", "Failed to connect to bus\n")

    plan = service.plan_user_install(["/x/sitwatch"], systemd=True)
    with pytest.raises(service.ServiceError, match=r"daemon-reload failed .*connect to bus"):
        service.carry_out(plan, run=runner, say=lambda _s: None)
    assert service.user_unit_path().exists()  # written before the failing step


def test_status_notices_a_program_that_is_gone() -> None:
    service.carry_out(service.plan_user_install(["/nowhere/sitwatch"], systemd=False),
                      say=lambda _s: None)
    [item] = service.installed(systemd=False)
    assert item.kind == "autostart entry" and not item.exec_ok
    assert item.exec_path == "/nowhere/sitwatch"
