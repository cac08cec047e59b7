"""`sitwatch service install | uninstall | status` through the real command.

The files it writes are checked with the real tools (``systemd-analyze verify`` and
``security``, ``desktop-file-validate``). systemd itself does not run in this container (PID 1
is not systemd and a user manager cannot start), so where the command talks to systemd it
meets a stand-in ``systemctl`` (and ``useradd``, ``udevadm``, ``chown`` for ``--system``) on
PATH that logs its arguments, the way borgmatic's end-to-end tests stand in for borg. Without
any ``systemctl`` the command takes the path a desktop without systemd user sessions takes:
the XDG autostart entry, with nothing faked.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

LOGGING_TOOL = """#!/bin/sh
echo "$(basename "$0") $*" >> "{log}"
case "$*" in
  *is-enabled*) echo enabled ;;
  *is-active*) echo active ;;
esac
exit 0
"""


def _tools(tmp: Path, names: tuple[str, ...]) -> tuple[Path, Path]:
    """A bin folder with logging stand-ins for ``names``, plus the log they write."""
    bin_ = tmp / "bin"
    bin_.mkdir()
    log = tmp / "calls.log"
    log.touch()
    for name in names:
        p = bin_ / name
        p.write_text(LOGGING_TOOL.format(log=log))
        p.chmod(0o755)
    return bin_, log


def _env(tmp: Path, path: str, *, desktop: bool = True, **extra: str) -> dict[str, str]:
    """``desktop``: as from a terminal in a desktop session (else: a login over SSH)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("XDG_", "SITWATCH_")) and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(HOME=str(tmp / "home"), XDG_CONFIG_HOME=str(tmp / "home/.config"), PATH=path)
    if desktop:
        env["XDG_CURRENT_DESKTOP"] = "sitwatch-test"
    env.update(extra)
    (tmp / "home").mkdir(exist_ok=True)
    return env


def _sitwatch(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "sitwatch", *argv], capture_output=True,
                          text=True, timeout=60, env=env)


def _no_systemctl_path(tmp: Path) -> str:
    """A PATH with the basics but no systemctl: a session without systemd."""
    bin_ = tmp / "plain-bin"
    bin_.mkdir()
    for tool in ("sh", "env"):
        found = shutil.which(tool)
        if found:
            (bin_ / tool).symlink_to(found)
    return str(bin_)


def _analyze() -> str:
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.skip("systemd-analyze not installed (Debian: systemd)")
    return exe


def test_without_systemd_an_autostart_entry_that_validates_and_goes_again(tmp_path):
    env = _env(tmp_path, _no_systemctl_path(tmp_path))
    proc = _sitwatch(env, "service", "install")
    assert proc.returncode == 0, proc.stderr
    entry = tmp_path / "home/.config/autostart/sitwatch.desktop"
    assert entry.is_file()
    assert "autostart" in proc.stdout and "next login" in proc.stdout
    text = entry.read_text()
    exec_line = next(ln for ln in text.splitlines() if ln.startswith("Exec="))
    program = exec_line.removeprefix("Exec=").split()[0].strip('"')
    assert os.access(program, os.X_OK), exec_line  # it starts this very sitwatch
    assert exec_line.endswith(" run")
    validate = shutil.which("desktop-file-validate")
    if validate:
        # the mark on the first line is a comment; the entry itself must be clean
        check = subprocess.run([validate, str(entry)], capture_output=True, text=True)
        assert check.returncode == 0 and not check.stdout.strip(), check.stdout + check.stderr

    status = _sitwatch(env, "service", "status")
    assert status.returncode == 0, status.stdout + status.stderr
    assert "autostart entry" in status.stdout

    # a second install replaces its own file without asking
    assert _sitwatch(env, "service", "install").returncode == 0

    gone = _sitwatch(env, "service", "uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not entry.exists()
    assert _sitwatch(env, "service", "status").returncode == 3


def test_without_systemd_or_a_desktop_it_points_to_the_system_service(tmp_path):
    """On a headless box reached over SSH (no user manager, no desktop session) the
    autostart entry it wrote would never run, and doctor then called it fine: it says what
    to do instead and writes nothing."""
    env = _env(tmp_path, _no_systemctl_path(tmp_path), desktop=False)
    proc = _sitwatch(env, "service", "install")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    assert "sudo sitwatch service install --system" in proc.stderr
    assert not (tmp_path / "home/.config/autostart/sitwatch.desktop").exists()


def test_a_dry_run_without_systemd_or_a_desktop_shows_the_entry_and_says_why(tmp_path):
    """`install --dry-run` there exited 2 with the refusal alone: a dry run shows what an
    install writes (the autostart entry of a desktop without systemd), says why nothing here
    would start it, and succeeds; it writes nothing."""
    env = _env(tmp_path, _no_systemctl_path(tmp_path), desktop=False)
    proc = _sitwatch(env, "service", "install", "--dry-run")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("would stop here and write nothing: no systemd user session "
                               "and no desktop session here"), proc.stdout
    assert "sudo sitwatch service install --system" in lines[0]
    entry = tmp_path / "home/.config/autostart/sitwatch.desktop"
    assert f"  an autostart entry: write {entry} (mode 644)" in lines
    assert not entry.exists()


@pytest.mark.parametrize("systemd", [False, True], ids=["autostart", "user-unit"])
def test_a_companion_dry_run_without_a_desktop_shows_what_it_writes_and_why(tmp_path, systemd):
    """`install --companion --dry-run` over SSH (no desktop session) exited 2 with the refusal
    alone, while the daemon's dry run there shows its entry: it shows what the install writes on
    a desktop (the autostart entry, or the companion's unit with a user manager), says why it
    would stop here, exits 0 and writes nothing. The install itself still refuses."""
    if systemd:
        bin_, log = _tools(tmp_path, ("systemctl",))
        path = f"{bin_}:{os.environ['PATH']}"
    else:
        path, log = _no_systemctl_path(tmp_path), None
    env = _env(tmp_path, path, desktop=False)
    proc = _sitwatch(env, "service", "install", "--companion", "--dry-run")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == ("would stop here and write nothing: the companion shows desktop "
                        "notifications, and there is no desktop session here: run this from a "
                        "terminal in the desktop where the nudges should show."), proc.stdout
    home = tmp_path / "home/.config"
    if systemd:
        assert lines[1].startswith("In a desktop session it would do, to start "), proc.stdout
        written = home / "systemd/user/sitwatch-companion.service"
        assert f"  the companion's unit: write {written} (mode 644)" in lines, proc.stdout
        assert log is not None and "enable" not in log.read_text()  # nothing enabled
    else:
        assert lines[1].startswith("In a desktop session without systemd it would do, to "
                                   "start "), proc.stdout
        written = home / "autostart/sitwatch-companion.desktop"
        assert f"  an autostart entry: write {written} (mode 644)" in lines, proc.stdout
    assert not written.exists() and not (tmp_path / "home/.config").exists()
    refused = _sitwatch(env, "service", "install", "--companion")
    assert refused.returncode == 2 and "no desktop session here" in refused.stderr
    assert "Traceback" not in refused.stderr and not written.exists()


def test_a_bridge_dry_run_without_systemd_shows_its_unit_and_says_why(tmp_path):
    """`install --bridge --to URL --dry-run` on a box without a systemd user session exited 2
    with the refusal alone, as the companion's did: it shows the unit a user manager would
    start, says why it would stop here (and the system service to use instead), exits 0 and
    writes nothing. The install itself still refuses."""
    env = _env(tmp_path, _no_systemctl_path(tmp_path), desktop=False)
    to = ("--to", "mqtt://192.168.1.20/home/office/cushion")
    proc = _sitwatch(env, "service", "install", "--bridge", *to, "--dry-run")
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("would stop here and write nothing: no systemd user session "
                               "answered"), proc.stdout
    # the command to copy names the URL given (it can hold no password: that is refused)
    assert ("sudo sitwatch service install --system --bridge --to "
            "mqtt://192.168.1.20/home/office/cushion") in lines[0], lines[0]
    assert lines[1].startswith("In a session with systemd's user manager it would do, to "
                               "start "), proc.stdout
    unit = tmp_path / "home/.config/systemd/user/sitwatch-bridge.service"
    assert f"  the bridge's unit: write {unit} (mode 644)" in lines, proc.stdout
    assert not unit.exists() and not (tmp_path / "home/.config").exists()
    refused = _sitwatch(env, "service", "install", "--bridge", *to)
    assert refused.returncode == 2 and "no systemd user session answered" in refused.stderr
    assert "Traceback" not in refused.stderr and not unit.exists()


def test_without_a_desktop_the_user_unit_starts_with_the_service_manager(tmp_path):
    """Over SSH a user unit tied to graphical-session.target never starts: it is tied to
    default.target there, and the note says how to keep it running after logout."""
    analyze = _analyze()
    bin_, log = _tools(tmp_path, ("systemctl",))
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}", desktop=False)
    proc = _sitwatch(env, "service", "install", "--no-weekly")
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "home/.config/systemd/user/sitwatch.service").read_text()
    lines = [ln for ln in text.splitlines() if not ln.startswith("#")]
    assert "WantedBy=default.target" in lines, text
    assert not [ln for ln in lines if "graphical-session" in ln], text
    assert "loginctl enable-linger" in proc.stdout and "--system" in proc.stdout
    unit = tmp_path / "home/.config/systemd/user/sitwatch.service"
    check = subprocess.run([analyze, "verify", "--user", str(unit)], capture_output=True,
                           text=True, env={**os.environ, "HOME": str(tmp_path / "home")})
    noise = [ln for ln in (check.stdout + check.stderr).splitlines()
             if "sitwatch.service" in ln]
    assert check.returncode == 0 and not noise, check.stdout + check.stderr
    assert "systemctl --user enable --now sitwatch.service" in log.read_text().splitlines()


def test_user_unit_installed_enabled_and_verified(tmp_path):
    analyze = _analyze()
    bin_, log = _tools(tmp_path, ("systemctl",))
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}")
    cfg = tmp_path / "my config.toml"  # a space: ExecStart= must quote it
    cfg.write_text("")
    proc = _sitwatch(env, "service", "install", "--config", str(cfg))
    assert proc.returncode == 0, proc.stderr
    unit = tmp_path / "home/.config/systemd/user/sitwatch.service"
    assert unit.is_file()
    calls = log.read_text().splitlines()
    assert "systemctl --user daemon-reload" in calls
    assert "systemctl --user enable --now sitwatch.service" in calls
    assert calls.index("systemctl --user daemon-reload") < calls.index(
        "systemctl --user enable --now sitwatch.service")
    text = unit.read_text()
    assert f"'{cfg}'" in text  # quoted, so systemd passes one argument
    assert "UMask=0077" in text and "Type=notify" in text
    check = subprocess.run([analyze, "verify", "--user", str(unit)], capture_output=True,
                           text=True, env={**os.environ, "HOME": str(tmp_path / "home")})
    noise = [ln for ln in (check.stdout + check.stderr).splitlines()
             if "sitwatch.service" in ln]
    assert check.returncode == 0 and not noise, check.stdout + check.stderr

    status = _sitwatch(env, "service", "status")
    assert status.returncode == 0, status.stdout
    assert "user unit" in status.stdout and "enabled · active" in status.stdout

    # the weekly report's timer came along, enabled (so started) after the reload
    units = unit.parent
    timer, weekly = units / "sitwatch-weekly.timer", units / "sitwatch-weekly.service"
    assert timer.is_file() and weekly.is_file()
    assert calls.index("systemctl --user daemon-reload") < calls.index(
        "systemctl --user enable --now sitwatch-weekly.timer")
    assert f"'{cfg}'" in weekly.read_text()
    assert not (units / "sitwatch-serve.service").exists()  # the web app only with --with-web
    for path in (weekly, timer):
        check = subprocess.run([analyze, "verify", "--user", str(path)], capture_output=True,
                               text=True, env={**os.environ, "HOME": str(tmp_path / "home")})
        noise = [ln for ln in (check.stdout + check.stderr).splitlines() if "sitwatch" in ln]
        assert check.returncode == 0 and not noise, check.stdout + check.stderr
    assert "weekly report timer" in status.stdout

    gone = _sitwatch(env, "service", "uninstall")
    assert gone.returncode == 0, gone.stderr
    assert not unit.exists() and not timer.exists() and not weekly.exists()
    assert "systemctl --user disable --now sitwatch.service" in log.read_text()
    assert "systemctl --user disable --now sitwatch-weekly.timer" in log.read_text()


def test_a_dry_run_says_would_and_the_uninstall_names_each_file_once(tmp_path):
    """`install --dry-run` changes nothing, so its notes say what would happen (they said
    "starts with your desktop session from now on and is running now"), for the systemd user
    unit and for the autostart entry; `uninstall` lists "remove FILE" (it said "remove: remove
    FILE")."""
    bin_, log = _tools(tmp_path, ("systemctl",))
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}")
    dry = _sitwatch(env, "service", "install", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "sitwatch would start with your desktop session from then on and would be running " \
           "at once." in dry.stdout
    assert "is running now" not in dry.stdout and "from now on" not in dry.stdout
    assert not (tmp_path / "home/.config/systemd").exists()
    plain = _env(tmp_path, _no_systemctl_path(tmp_path))
    dry = _sitwatch(plain, "service", "install", "--dry-run")
    assert "so sitwatch would start from your desktop's autostart at the next login" in dry.stdout

    assert _sitwatch(env, "service", "install").returncode == 0
    unit = tmp_path / "home/.config/systemd/user/sitwatch.service"
    gone = _sitwatch(env, "service", "uninstall")
    assert gone.returncode == 0, gone.stderr
    assert f"  remove {unit}\n" in gone.stdout
    assert "remove: remove" not in gone.stdout
    assert "  stop and disable: run: systemctl --user disable --now sitwatch.service" \
        in gone.stdout


def test_with_web_the_web_app_unit_too(tmp_path):
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    analyze = _analyze()
    bin_, log = _tools(tmp_path, ("systemctl",))
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}")
    proc = _sitwatch(env, "service", "install", "--with-web", "--no-weekly")
    assert proc.returncode == 0, proc.stderr
    units = tmp_path / "home/.config/systemd/user"
    serve = units / "sitwatch-serve.service"
    assert serve.is_file() and not (units / "sitwatch-weekly.timer").exists()
    exec_line = next(ln for ln in serve.read_text().splitlines() if ln.startswith("ExecStart="))
    assert exec_line.endswith(" serve") and os.access(exec_line.split("=", 1)[1].split()[0],
                                                       os.X_OK)
    assert "systemctl --user enable --now sitwatch-serve.service" in log.read_text()
    check = subprocess.run([analyze, "verify", "--user", str(serve)], capture_output=True,
                           text=True, env={**os.environ, "HOME": str(tmp_path / "home")})
    noise = [ln for ln in (check.stdout + check.stderr).splitlines() if "sitwatch" in ln]
    assert check.returncode == 0 and not noise, check.stdout + check.stderr
    status = _sitwatch(env, "service", "status")
    assert "web app unit" in status.stdout and status.returncode == 0, status.stdout
    assert _sitwatch(env, "service", "uninstall").returncode == 0
    assert not serve.exists()
    assert "systemctl --user disable --now sitwatch-serve.service" in log.read_text()


def test_companion_installs_its_unit_alone_and_uninstalls_only_it(tmp_path):
    """`sitwatch service install --companion` on the desktop that shows a Pi's nudges: the
    companion's unit, verified by systemd, and no daemon or weekly timer beside it."""
    analyze = _analyze()
    bin_, log = _tools(tmp_path, ("systemctl",))
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}")
    mistaken = _sitwatch(env, "service", "install", "--companion", "--with-web")
    assert mistaken.returncode == 2 and "--companion is the companion alone" in mistaken.stderr
    proc = _sitwatch(env, "service", "install", "--companion")
    assert proc.returncode == 0, proc.stderr
    units = tmp_path / "home/.config/systemd/user"
    unit = units / "sitwatch-companion.service"
    assert sorted(p.name for p in units.iterdir()) == ["sitwatch-companion.service"]
    exec_line = next(ln for ln in unit.read_text().splitlines() if ln.startswith("ExecStart="))
    assert exec_line.endswith(" companion") and os.access(
        exec_line.split("=", 1)[1].split()[0], os.X_OK)
    assert "systemctl --user enable --now sitwatch-companion.service" in log.read_text()
    assert "journalctl --user -u sitwatch-companion" in proc.stdout
    check = subprocess.run([analyze, "verify", "--user", str(unit)], capture_output=True,
                           text=True, env={**os.environ, "HOME": str(tmp_path / "home")})
    noise = [ln for ln in (check.stdout + check.stderr).splitlines() if "sitwatch" in ln]
    assert check.returncode == 0 and not noise, check.stdout + check.stderr
    status = _sitwatch(env, "service", "status")
    assert "companion unit" in status.stdout and status.returncode == 0, status.stdout
    assert _sitwatch(env, "service", "uninstall", "--companion").returncode == 0
    assert not unit.exists()
    assert "systemctl --user disable --now sitwatch-companion.service" in log.read_text()


def test_bridge_installs_its_unit_alone_with_the_url_and_uninstalls_only_it(tmp_path):
    """`sitwatch service install --bridge --to URL` on a Pi reached over SSH: the bridge's unit,
    starting `bridge --to URL` with the user's service manager, verified by systemd."""
    analyze = _analyze()
    bin_, log = _tools(tmp_path, ("systemctl",))
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}", desktop=False)
    url = "mqtt://192.168.1.20/home/office/cushion"
    for argv, words in ((("--bridge",), "needs --to mqtt://"),
                        (("--bridge", "--to", "http://desk"), "mqtt://HOST[:PORT]/TOPIC"),
                        (("--bridge", "--to", "mqtt://pi:s3cret@desk/c"), "[mqtt] section"),
                        (("--bridge", "--to", url, "--with-web"), "--bridge is the bridge alone"),
                        (("--to", url), "--to goes with install --bridge")):
        mistaken = _sitwatch(env, "service", "install", *argv)
        assert mistaken.returncode == 2 and words in mistaken.stderr, mistaken.stderr
        assert "s3cret" not in mistaken.stderr
    proc = _sitwatch(env, "service", "install", "--bridge", "--to", url)
    assert proc.returncode == 0, proc.stderr
    units = tmp_path / "home/.config/systemd/user"
    unit = units / "sitwatch-bridge.service"
    assert sorted(p.name for p in units.iterdir()) == ["sitwatch-bridge.service"]
    exec_line = next(ln for ln in unit.read_text().splitlines() if ln.startswith("ExecStart="))
    assert exec_line.endswith(f" bridge --to {url}") and os.access(
        exec_line.split("=", 1)[1].split()[0], os.X_OK)
    assert "systemctl --user enable --now sitwatch-bridge.service" in log.read_text()
    assert "journalctl --user -u sitwatch-bridge" in proc.stdout
    assert "enable-linger" in proc.stdout  # over SSH: the user's services stop at logout
    check = subprocess.run([analyze, "verify", "--user", str(unit)], capture_output=True,
                           text=True, env={**os.environ, "HOME": str(tmp_path / "home")})
    noise = [ln for ln in (check.stdout + check.stderr).splitlines() if "sitwatch" in ln]
    assert check.returncode == 0 and not noise, check.stdout + check.stderr
    status = _sitwatch(env, "service", "status")
    assert "bridge unit" in status.stdout and status.returncode == 0, status.stdout
    assert _sitwatch(env, "service", "uninstall", "--bridge").returncode == 0
    assert not unit.exists()
    assert "systemctl --user disable --now sitwatch-bridge.service" in log.read_text()


def test_bridge_system_install_on_a_pi_tree(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("--system is for root")
    analyze = _analyze()
    bin_, log = _tools(tmp_path, ("systemctl", "useradd", "udevadm", "chown"))
    root = tmp_path / "root"
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}", desktop=False,
               SITWATCH_SYSTEM_ROOT=str(root))
    url = "mqtts://192.168.1.20/home/office/cushion"
    proc = _sitwatch(env, "service", "install", "--system", "--bridge", "--to", url)
    if str(Path(sys.executable).parent).startswith(("/home/", "/root/")):
        assert proc.returncode == 2 and "ProtectHome" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    systemd = root / "etc/systemd/system"
    unit = systemd / "sitwatch-pi-bridge.service"
    conf = root / "etc/sitwatch/sitwatch.toml"
    assert sorted(p.name for p in systemd.iterdir()) == ["sitwatch-pi-bridge.service"]
    assert conf.is_file() and (root / "etc/udev/rules.d/99-sitwatch-cushion.rules").is_file()
    assert f"bridge --to {url}" in unit.read_text()
    calls = log.read_text()
    assert "systemctl enable --now sitwatch-pi-bridge.service" in calls
    assert f"chown root:sitwatch {conf}" in calls
    sec = subprocess.run([analyze, "security", "--offline=true", "--threshold=20", str(unit)],
                         capture_output=True, text=True)
    assert sec.returncode == 0, sec.stdout[-800:] + sec.stderr
    verify = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    status = _sitwatch(env, "service", "status", "--system")
    assert "system bridge unit" in status.stdout, status.stdout

    gone = _sitwatch(env, "service", "uninstall", "--system", "--bridge")
    assert gone.returncode == 0, gone.stderr
    assert not unit.exists() and conf.exists()
    assert "systemctl disable --now sitwatch-pi-bridge.service" in log.read_text()


def test_a_hand_written_unit_is_never_replaced_or_removed_without_force(tmp_path):
    bin_, _log = _tools(tmp_path, ("systemctl",))
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}")
    unit = tmp_path / "home/.config/systemd/user/sitwatch.service"
    unit.parent.mkdir(parents=True)
    mine = "[Service]\nExecStart=/opt/custom/sitwatch run\n"
    unit.write_text(mine)
    proc = _sitwatch(env, "service", "install")
    assert proc.returncode == 2
    assert str(unit) in proc.stderr and "--force" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert unit.read_text() == mine
    assert _sitwatch(env, "service", "uninstall").returncode == 2
    assert unit.read_text() == mine
    assert _sitwatch(env, "service", "install", "--force").returncode == 0
    assert unit.read_text() != mine


def test_system_install_on_a_pi_tree(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("--system is for root")
    analyze = _analyze()
    bin_, log = _tools(tmp_path, ("systemctl", "useradd", "udevadm", "chown"))
    root = tmp_path / "root"
    env = _env(tmp_path, f"{bin_}:{os.environ['PATH']}", SITWATCH_SYSTEM_ROOT=str(root))

    dry = _sitwatch(env, "service", "install", "--system", "--dry-run")
    assert dry.returncode == 0 and "would do" in dry.stdout
    assert not (root / "etc").exists()

    proc = _sitwatch(env, "service", "install", "--system")
    if sys.executable.startswith(("/home/", "/root/")) or str(
        Path(sys.executable).parent).startswith(("/home/", "/root/")):
        assert proc.returncode == 2 and "ProtectHome" in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    unit = root / "etc/systemd/system/sitwatch-pi.service"
    conf = root / "etc/sitwatch/sitwatch.toml"
    rule = root / "etc/udev/rules.d/99-sitwatch-cushion.rules"
    assert unit.is_file() and rule.is_file() and conf.is_file()
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    calls = log.read_text()
    assert f"chown root:sitwatch {conf}" in calls
    assert "systemctl enable --now sitwatch-pi.service" in calls
    assert "ExecStart=" in unit.read_text() and "run --headless" in unit.read_text()

    weekly = root / "etc/systemd/system/sitwatch-pi-weekly.service"
    timer = root / "etc/systemd/system/sitwatch-pi-weekly.timer"
    assert weekly.is_file() and timer.is_file()
    assert "systemctl enable --now sitwatch-pi-weekly.timer" in calls
    for path in (unit, weekly):
        sec = subprocess.run([analyze, "security", "--offline=true", "--threshold=20",
                              str(path)], capture_output=True, text=True)
        assert sec.returncode == 0, sec.stdout[-800:] + sec.stderr
    for path in (unit, weekly, timer):
        verify = subprocess.run([analyze, "verify", str(path)], capture_output=True, text=True)
        assert verify.returncode == 0, verify.stdout + verify.stderr

    # the config someone edited survives a second install; the unit is ours and is replaced
    conf.write_text("# edited\n")
    again = _sitwatch(env, "service", "install", "--system")
    assert again.returncode == 0, again.stderr
    assert conf.read_text() == "# edited\n"

    gone = _sitwatch(env, "service", "uninstall", "--system")
    assert gone.returncode == 0, gone.stderr
    assert not unit.exists() and not rule.exists()
    assert not weekly.exists() and not timer.exists()
    assert "systemctl disable --now sitwatch-pi-weekly.timer" in log.read_text()
    assert conf.exists()  # the config and the history stay
    assert "systemctl disable --now sitwatch-pi.service" in log.read_text()


def test_waybar_line_follows_the_running_daemons_status(tmp_path):
    """`sitwatch status --waybar --follow` as waybar runs it: one JSON line now, and a new one
    as soon as the daemon's status file changes (read as lines arrive, no sleeping)."""
    import json

    from sitwatch.core.clock import SystemClock
    from sitwatch.runtime.status import StatusWriter

    run_dir = tmp_path / "xdg-run"
    status = run_dir / "sitwatch" / "status.json"
    writer = StatusWriter(status, SystemClock(), sit_limit=2700.0)  # this process: alive
    writer.update(occupancy="empty")
    writer.write()
    env = _env(tmp_path, os.environ["PATH"], XDG_RUNTIME_DIR=str(run_dir))
    proc = subprocess.Popen(
        [sys.executable, "-m", "sitwatch", "status", "--waybar", "--follow", "--interval",
         "0.2", "--no-user-config"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert proc.stdout is not None
        first = json.loads(proc.stdout.readline())
        assert first["class"] == "empty" and first["text"] == "away"
        writer.update(occupancy="occupied", spell_seconds=2760.0, posture="upright")
        writer.write()
        second = json.loads(proc.stdout.readline())
        assert second["class"] == "over" and second["text"] == "46 min"
        assert second["percentage"] == 100
        assert "Occupied" in second["tooltip"]
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    once = subprocess.run([sys.executable, "-m", "sitwatch", "status", "--waybar",
                           "--no-user-config"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert once.returncode == 0 and json.loads(once.stdout)["class"] == "over"
    status.unlink()
    gone = subprocess.run([sys.executable, "-m", "sitwatch", "status", "--waybar",
                           "--no-user-config"], capture_output=True, text=True, env=env,
                          timeout=60)
    assert gone.returncode == 0 and json.loads(gone.stdout)["class"] == "off"


def _daemon_running(tmp: Path, env: dict[str, str], conf: Path) -> subprocess.Popen[str]:
    """`sitwatch run` started by hand, as the README's first run does, on a pseudo-terminal
    (kept open by the caller); returns once its status file says it runs."""
    import json
    import time

    proc = subprocess.Popen([sys.executable, "-m", "sitwatch", "run", "--headless", "--config",
                             str(conf)], env=env, text=True, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    status = Path(env["XDG_RUNTIME_DIR"]) / "sitwatch" / "status.json"
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        try:
            if json.loads(status.read_text()).get("pid") == proc.pid:
                return proc
        except (OSError, ValueError):
            pass
        assert proc.poll() is None, "the daemon stopped"
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("the daemon never wrote its status")


@pytest.mark.parametrize("systemd", [True, False], ids=["systemd", "autostart"])
def test_install_while_sitwatch_runs_by_hand_does_not_start_a_second_one(tmp_path, systemd):
    """The README's first run leaves `sitwatch run` going in a terminal; "Running at login"
    then says `sitwatch service install` "starts now". Under systemd that started a second
    daemon, which stopped at once ("already running") and was restarted every 5 s, while
    the install said "and is running now"; without systemd it said "To start it now: sitwatch
    run &". The service is now set up for the next login, not started, and the install says
    which sitwatch runs and how to hand over."""
    import pty
    import signal

    if systemd:
        bin_, log = _tools(tmp_path, ("systemctl",))
        path = f"{bin_}:{os.environ['PATH']}"
    else:
        path, log = _no_systemctl_path(tmp_path), None
    run_dir = tmp_path / "run"
    run_dir.mkdir(mode=0o700)
    env = _env(tmp_path, path, XDG_RUNTIME_DIR=str(run_dir))
    master, slave = pty.openpty()
    conf = tmp_path / "sitwatch.toml"
    conf.write_text(f'[cushion]\nport = "{os.ttyname(slave)}"\nlayout = "load-cells-4"\n'
                    "[nudges.dnd]\nenabled = false\n[history]\nenabled = false\n")
    daemon = _daemon_running(tmp_path, env, conf)
    try:
        proc = _sitwatch(env, "service", "install", "--config", str(conf))
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(20)
        os.close(master)
        os.close(slave)
    assert proc.returncode == 0, proc.stderr
    said = " ".join(proc.stdout.split())
    if systemd:
        assert log is not None
        calls = log.read_text().splitlines()
        assert "systemctl --user enable sitwatch.service" in calls, calls
        assert "systemctl --user enable --now sitwatch.service" not in calls
        # the weekly timer is nobody's but the service's: it starts as before
        assert "systemctl --user enable --now sitwatch-weekly.timer" in calls
        assert "and is running now" not in said
        assert (f"sitwatch is running already (pid {daemon.pid}), so the service was not "
                "started now: a second one would stop at once. To hand over to the service "
                "now, stop that one (Ctrl-C where it runs), then: systemctl --user start "
                "sitwatch") in said
    else:
        assert (tmp_path / "home/.config/autostart/sitwatch.desktop").is_file()
        assert "sitwatch run &" not in said
        assert f"It is running now already (pid {daemon.pid})." in said
