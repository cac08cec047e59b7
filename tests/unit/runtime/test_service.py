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
    with pytest.raises(service.ServiceError, match="ProtectHome") as e:
        service.plan_system_install(["/home/ann/.local/bin/sitwatch"])
    # PyPI's `sitwatch` is another project: the advice installs from the source folder
    assert "pipx install ./sitwatch" in str(e.value) and "not on PyPI" in str(e.value)


def test_system_install_says_status_needs_sudo() -> None:
    """The system service's files are the sitwatch user's, owner-only: a plain `sitwatch
    status` from the login shell cannot read them (it said "from any shell")."""
    plan = service.plan_system_install(["/usr/local/bin/sitwatch"], start=False)
    assert any("sudo sitwatch status" in n for n in plan.notes), plan.notes


def test_user_plan_with_and_without_systemd() -> None:
    with_sd = service.plan_user_install(["/x/sitwatch"], systemd=True, start=False,
                                        weekly=False)
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


def test_by_default_the_weekly_timer_comes_along_and_the_web_app_on_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "web_extra_missing", lambda: None)
    plan = service.plan_user_install(["/x/sitwatch"], systemd=True, web=True)
    written = [s.path.name for s in plan.steps if s.text is not None and s.path is not None]
    assert written == ["sitwatch.service", "sitwatch-weekly.service", "sitwatch-weekly.timer",
                       "sitwatch-serve.service"]
    enabled = [s.argv[-1] for s in plan.steps if s.argv[:3] == ("systemctl", "--user",
                                                                  "enable")]
    assert enabled == ["sitwatch.service", "sitwatch-weekly.timer", "sitwatch-serve.service"]
    # the timer is enabled (and started), never the oneshot service it runs
    assert all("--now" in s.argv for s in plan.steps if "enable" in s.argv)
    # reload comes before any enable
    argvs = [s.argv for s in plan.steps if s.argv]
    assert argvs[0] == ("systemctl", "--user", "daemon-reload")
    plain = service.plan_user_install(["/x/sitwatch"], systemd=True, weekly=False)
    assert [s.path.name for s in plain.steps if s.path] == ["sitwatch.service"]


def test_with_web_without_the_web_extra_says_how_to_get_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "uvicorn" else real(name, *a))
    with pytest.raises(service.ServiceError, match=r"uvicorn missing.*pip install"):
        service.plan_user_install(["/x/sitwatch"], systemd=True, web=True)
    with pytest.raises(service.ServiceError, match="uvicorn"):
        service.plan_system_install(["/usr/local/bin/sitwatch"], web=True)


def test_companion_units_start_this_sitwatch_and_keep_the_specifiers() -> None:
    text = service.companion_unit("sitwatch-weekly.service", ["/opt/my venv/bin/sitwatch"],
                                  Path("/home/a/100% cfg.toml"))
    assert text.startswith(service.MARK)
    lines = [ln for ln in text.splitlines() if ln.startswith("ExecStart=")]
    assert len(lines) == 2
    write, send = (shlex.split(ln.removeprefix("ExecStart=")) for ln in lines)
    assert write[:4] == ["/opt/my venv/bin/sitwatch", "report", "--config",
                         "/home/a/100%% cfg.toml"]  # '%' doubled for systemd
    assert write[4:] == ["--week", "last", "--format", "html", "-o",
                         "%S/sitwatch/reports/sitwatch-week.html"]
    assert send == ["/opt/my venv/bin/sitwatch", "report-send", "--config",
                    "/home/a/100%% cfg.toml", "%S/sitwatch/reports/sitwatch-week.html",
                    "--week", "last"]
    assert "ExecStartPre=/bin/mkdir -p %S/sitwatch/reports" in text
    serve = service.companion_unit("sitwatch-pi-serve.service", ["/usr/local/bin/sitwatch"])
    assert "ExecStart=/usr/local/bin/sitwatch serve --lan\n" in serve
    timer = service.companion_unit("sitwatch-weekly.timer", ["/x/sitwatch"])
    assert "OnCalendar=Sun *-*-* 20:00:00" in timer and "ExecStart" not in timer


def test_uninstall_stops_and_removes_every_file_of_ours(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "web_extra_missing", lambda: None)
    service.carry_out(service.plan_user_install(["/x/sitwatch"], systemd=False, web=True),
                      say=lambda _s: None)
    install = service.plan_user_install(["/x/sitwatch"], systemd=True, web=True)
    for step in install.steps:
        if step.text is not None and step.path is not None:
            service.carry_out(service.Plan([step]), say=lambda _s: None)
    plan = service.plan_user_uninstall(systemd=True)
    stopped = [s.argv[-1] for s in plan.steps if "disable" in s.argv]
    assert stopped == ["sitwatch.service", "sitwatch-serve.service", "sitwatch-weekly.timer"]
    removed = {s.path.name for s in plan.steps if s.path is not None and s.text is None}
    assert removed == {"sitwatch.service", "sitwatch-serve.service", "sitwatch-weekly.timer",
                       "sitwatch-weekly.service", "sitwatch.desktop", "sitwatch-serve.desktop"}
    kinds = {i.kind for i in service.installed(systemd=False)}
    assert kinds == {"user unit", "web app unit", "weekly report timer", "autostart entry",
                     "web app autostart entry"}
    service.carry_out(plan, run=lambda argv: __import__("subprocess").CompletedProcess(
        argv, 0, "", ""), say=lambda _s: None)
    assert service.installed(systemd=False) == []


def test_system_install_adds_the_weekly_timer_and_the_web_app_on_request(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(service, "web_extra_missing", lambda: None)
    plan = service.plan_system_install(["/usr/local/bin/sitwatch"], web=True)
    names = [s.path.name for s in plan.steps if s.text is not None and s.path is not None]
    assert names[:4] == ["sitwatch-pi.service", "sitwatch-pi-weekly.service",
                         "sitwatch-pi-weekly.timer", "sitwatch-pi-serve.service"]
    enabled = [s.argv[-1] for s in plan.steps if s.argv[:2] == ("systemctl", "enable")]
    assert enabled == ["sitwatch-pi.service", "sitwatch-pi-weekly.timer",
                       "sitwatch-pi-serve.service"]
    none = service.plan_system_install(["/usr/local/bin/sitwatch"], weekly=False)
    assert not any("weekly" in str(s.path) or "weekly" in " ".join(s.argv) for s in none.steps)


# -- the bridge (`--bridge --to URL`) -------------------------------------------------------------

URL = "mqtt://192.168.1.20/home/office/cushion"


def test_the_bridge_unit_starts_this_sitwatchs_bridge_with_the_url() -> None:
    text = service.bridge_unit(service.BRIDGE_UNIT, ["/opt/sw/bin/sitwatch"], URL,
                               Path("/home/a/sw.toml"))
    assert text.startswith(service.MARK) and text.count("ExecStart=") == 1
    assert _exec(text) == ["/opt/sw/bin/sitwatch", "bridge", "--to", URL, "--config",
                           "/home/a/sw.toml"]
    pi = service.bridge_unit(service.SYSTEM_BRIDGE_UNIT, ["/usr/local/bin/sitwatch"], URL)
    assert _exec(pi) == ["/usr/local/bin/sitwatch", "bridge", "--to", URL]
    assert "ProtectHome=yes" in pi and "User=sitwatch" in pi


@pytest.mark.parametrize(("to", "words"), [
    ("desk:1883", "mqtt://HOST[:PORT]/TOPIC"),
    ("mqtt://desk", "names no topic to publish the cushion's lines on"),
    ("mqtt://pi:s3cret@desk/home/cushion", "every account"),
])
def test_a_bridge_url_that_cannot_go_in_a_unit_is_refused(to: str, words: str) -> None:
    with pytest.raises(service.ServiceError, match=words.replace("[", r"\[")) as e:
        service.plan_bridge_install(["/usr/local/bin/sitwatch"], to, system=True)
    assert "s3cret" not in str(e.value)


def test_the_bridge_plans_install_it_alone() -> None:
    user = service.plan_bridge_install(["/x/sitwatch"], URL, system=False, systemd=True,
                                       start=False)
    assert [s.path for s in user.steps if s.path] == [
        service.user_unit_path(service.BRIDGE_UNIT)]
    assert ("systemctl", "--user", "enable", service.BRIDGE_UNIT) in [s.argv for s in user.steps]
    with pytest.raises(service.ServiceError, match="--system --bridge"):
        service.plan_bridge_install(["/x/sitwatch"], URL, system=False, systemd=False)
    pi = service.plan_bridge_install(["/usr/local/bin/sitwatch"], URL, system=True)
    written = [s.path.name for s in pi.steps if s.path]
    assert written == [service.SYSTEM_BRIDGE_UNIT, service.UDEV_RULE, "sitwatch.toml"]
    assert ("systemctl", "enable", "--now", service.SYSTEM_BRIDGE_UNIT) in [
        s.argv for s in pi.steps]


def test_the_system_service_the_bridge_points_to_is_a_command_to_copy() -> None:
    """Both notes that send a headless box to the system service name the URL given (the
    password is refused before), quoted for a shell, where they said `--to URL`."""
    odd = "mqtt://desk/home/office cushion"
    headless = service.plan_bridge_install(["/x/sitwatch"], URL, system=False, systemd=True,
                                           start=False, desktop=False)
    assert any(f"--system --bridge --to {URL})" in n for n in headless.notes), headless.notes
    with pytest.raises(service.ServiceError) as e:
        service.plan_bridge_install(["/x/sitwatch"], odd, system=False, systemd=False)
    assert str(e.value).endswith("--to 'mqtt://desk/home/office cushion'"), str(e.value)


def test_the_daemon_and_the_bridge_on_one_pi_are_told_apart(tmp_path: Path) -> None:
    """Both want the cushion's port: installing one beside the other says so."""
    unit = service.system_unit_path(service.SYSTEM_BRIDGE_UNIT)
    unit.parent.mkdir(parents=True)
    unit.write_text(service.bridge_unit(service.SYSTEM_BRIDGE_UNIT, ["/usr/bin/sitwatch"], URL))
    daemon = service.plan_system_install(["/usr/local/bin/sitwatch"], weekly=False)
    assert any("both want the cushion's port" in n for n in daemon.notes), daemon.notes
    only_bridge = service.plan_system_uninstall(bridge=True)
    assert [s.path for s in only_bridge.steps if s.path] == [unit]


def test_a_file_is_never_looser_than_its_mode_while_it_is_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The system config (0640, group sitwatch) was first written with the umask's 0644 and
    only then narrowed: for a moment anyone could read it. The temporary file is born
    owner-only and gets its mode before it takes the file's name."""
    import os

    seen: list[int] = []
    real_chmod = os.chmod

    def chmod(path, mode, *a, **kw):  # type: ignore[no-untyped-def]
        seen.append(os.stat(path).st_mode & 0o777)  # the bits before the narrowing
        return real_chmod(path, mode, *a, **kw)

    monkeypatch.setattr(os, "chmod", chmod)
    old = os.umask(0o022)
    try:
        conf = tmp_path / "etc" / "sitwatch.toml"
        plan = service.Plan([service.Step("a config to edit", conf, "[cushion]\n", mode=0o640)])
        service.carry_out(plan, say=lambda _s: None)
    finally:
        os.umask(old)
    assert seen and all(m & 0o077 == 0 for m in seen), [oct(m) for m in seen]
    assert conf.stat().st_mode & 0o777 == 0o640 and conf.read_text() == "[cushion]\n"
