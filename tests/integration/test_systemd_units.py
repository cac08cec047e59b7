"""The systemd units and the udev rule: systemd-analyze verify/security, plus the settings that
matter (Type=notify, the login targets, the Pi sandbox's device access ...).

``systemd-analyze verify`` only warns about typos (exit 0), so any output fails the test; it also
insists that the ExecStart= program exists, so each unit is checked as a copy whose ExecStart=
program is rewritten to an executable that exists here.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

SYSTEMD = Path(__file__).resolve().parents[2] / "systemd"
USER_UNIT = SYSTEMD / "sitwatch.service"
PI_UNIT = SYSTEMD / "sitwatch-pi.service"
SERVE_UNIT = SYSTEMD / "sitwatch-serve.service"
COMPANION_UNIT = SYSTEMD / "sitwatch-companion.service"
BRIDGE_UNIT = SYSTEMD / "sitwatch-bridge.service"
PI_BRIDGE_UNIT = SYSTEMD / "sitwatch-pi-bridge.service"
PI_SERVE_UNIT = SYSTEMD / "sitwatch-pi-serve.service"
UDEV_RULE = SYSTEMD / "99-sitwatch-cushion.rules"
WEEKLY_UNIT = SYSTEMD / "sitwatch-weekly.service"
WEEKLY_TIMER = SYSTEMD / "sitwatch-weekly.timer"
PI_WEEKLY_UNIT = SYSTEMD / "sitwatch-pi-weekly.service"
PI_WEEKLY_TIMER = SYSTEMD / "sitwatch-pi-weekly.timer"
MAX_EXPOSURE = 2.0  # systemd-analyze security's 0-10 scale for the Pi unit


def _analyze() -> str:
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.skip("systemd-analyze not installed (Debian: systemd)")
    return exe


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections -> (key, value) pairs in order; repeated keys (DeviceAllow=) all kept."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        assert current is not None, f"{path.name}: {line!r} outside a section"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not key=value: {line!r}"
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    return [v for k, v in unit.get(section, []) if k == key]


def _copy_with_existing_exec(unit: Path, dest_dir: Path) -> Path:
    _analyze()  # skip first if there is nothing to check with
    true = shutil.which("true")
    assert true, "no 'true' executable"
    text = re.sub(r"^(ExecStart=)(\S+)", rf"\g<1>{true}", unit.read_text(), flags=re.M)
    dest_dir.mkdir(parents=True, exist_ok=True)
    out = dest_dir / unit.name
    out.write_text(text)
    return out


def _verify(unit: Path, tmp_path: Path, *, user: bool) -> subprocess.CompletedProcess[str]:
    exe = _analyze()
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "SYSTEMD_PAGER": "",
           "HOME": str(tmp_path)}
    args = [exe, "verify", "--man=no"]
    if user:
        runtime = tmp_path / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        env["XDG_RUNTIME_DIR"] = str(runtime)
        args.append("--user")
    return subprocess.run([*args, str(unit)], env=env, capture_output=True, text=True,
                          timeout=60, check=False, cwd=tmp_path)


@pytest.mark.parametrize(("unit", "user"),
                         [(USER_UNIT, True), (PI_UNIT, False), (SERVE_UNIT, True),
                          (PI_SERVE_UNIT, False), (WEEKLY_UNIT, True), (WEEKLY_TIMER, True),
                          (PI_WEEKLY_UNIT, False), (PI_WEEKLY_TIMER, False),
                          (COMPANION_UNIT, True), (BRIDGE_UNIT, True), (PI_BRIDGE_UNIT, False)],
                         ids=["user-unit", "pi-unit", "serve-unit", "pi-serve-unit",
                              "weekly-unit", "weekly-timer", "pi-weekly-unit",
                              "pi-weekly-timer", "companion-unit", "bridge-unit",
                              "pi-bridge-unit"])
def test_systemd_analyze_verify_is_silent(unit, user, tmp_path):
    copy = _copy_with_existing_exec(unit, tmp_path / "units")
    if unit.suffix == ".timer":  # verify loads the service a timer starts: put it beside
        _copy_with_existing_exec(unit.with_suffix(".service"), tmp_path / "units")
    proc = _verify(copy, tmp_path, user=user)
    assert proc.returncode == 0, proc.stderr
    assert (proc.stdout + proc.stderr).strip() == "", proc.stdout + proc.stderr


def test_verify_catches_a_typo(tmp_path):
    """The check above would notice a misspelt key (systemd only warns and exits 0)."""
    broken = tmp_path / "src" / "sitwatch.service"
    broken.parent.mkdir()
    broken.write_text(PI_UNIT.read_text().replace("ProtectHome=", "ProtectHomee="))
    proc = _verify(_copy_with_existing_exec(broken, tmp_path / "units"), tmp_path, user=False)
    assert "ProtectHomee" in proc.stdout + proc.stderr


@pytest.mark.parametrize("unit", [PI_UNIT, PI_SERVE_UNIT, PI_WEEKLY_UNIT, PI_BRIDGE_UNIT],
                         ids=["pi-unit", "pi-serve-unit", "pi-weekly-unit", "pi-bridge-unit"])
def test_pi_unit_security_exposure(unit, tmp_path):
    exe = _analyze()
    copy = _copy_with_existing_exec(unit, tmp_path / "units")
    proc = subprocess.run(
        [exe, "security", "--offline=true", f"--threshold={round(MAX_EXPOSURE * 10)}",
         "--no-pager", str(copy)],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8", "SYSTEMD_PAGER": "",
             "SYSTEMD_COLORS": "0"},
    )
    m = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", proc.stdout)
    assert m, proc.stdout + proc.stderr
    exposure = float(m.group(1))
    assert exposure <= MAX_EXPOSURE, proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_user_unit_settings():
    unit = parse_unit(USER_UNIT)
    for key in ("PartOf", "After"):
        assert values(unit, "Unit", key) == ["graphical-session.target"]
    assert values(unit, "Install", "WantedBy") == ["graphical-session.target"]
    assert values(unit, "Service", "Type") == ["notify"]
    assert values(unit, "Service", "ExecStart") == ["%h/.local/bin/sitwatch run"]
    assert values(unit, "Service", "Restart") == ["on-failure"]
    assert values(unit, "Service", "RestartSec") == ["5"]
    for key in ("StartLimitIntervalSec", "StartLimitBurst"):
        assert values(unit, "Unit", key) and not values(unit, "Service", key)
    # systemd 252 maps a user unit's StateDirectory= into ~/.config: must not be used.
    assert not values(unit, "Service", "StateDirectory")
    assert values(unit, "Service", "UMask") == ["0077"]  # owner-only files


def test_pi_unit_settings():
    unit = parse_unit(PI_UNIT)
    svc = dict(unit["Service"])
    assert svc["Type"] == "notify"
    assert svc["ExecStart"] == "/usr/local/bin/sitwatch run --headless"
    assert svc["WatchdogSec"] == "60"
    assert svc["Restart"] == "on-failure"
    assert svc["User"] == "sitwatch"
    assert svc["SupplementaryGroups"].split() == ["dialout", "video"]
    assert svc["StateDirectory"] == "sitwatch"
    assert svc["ConfigurationDirectory"] == "sitwatch"
    assert svc["ProtectSystem"] == "strict"
    assert svc["ProtectHome"] == "yes"
    assert svc["NoNewPrivileges"] == "yes"
    assert svc["PrivateTmp"] == "yes"
    assert svc["DevicePolicy"] == "closed"
    assert "MemoryMax" in svc
    assert set(svc["RestrictAddressFamilies"].split()) == {"AF_UNIX", "AF_INET", "AF_INET6"}
    # USB boards, and the Pi's own GPIO UART (/dev/serial0 -> ttyAMA0 or ttyS0; issue #14 #19)
    assert sorted(values(unit, "Service", "DeviceAllow")) == [
        "char-ttyACM rw", "char-ttyAMA rw", "char-ttyS rw", "char-ttyUSB rw",
        "char-video4linux rw"]
    assert svc["UMask"] == "0077"
    assert "PrivateDevices" not in svc  # would hide the serial port
    assert "PrivateUsers" not in svc  # would break the dialout group on the device node
    for key in ("StartLimitIntervalSec", "StartLimitBurst"):
        assert values(unit, "Unit", key) and not values(unit, "Service", key)
    assert values(unit, "Install", "WantedBy") == ["multi-user.target"]


UDEV_TOKEN = re.compile(r'^([A-Z_]+)(\{[^}]+\})?(==|!=|\+=|-=|:=|=)"([^"]*)"$')


def test_udev_rule_example():
    rules = [line.strip() for line in UDEV_RULE.read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#")]
    assert len(rules) == 1
    tokens = [t.strip() for t in rules[0].split(",")]
    parsed = []
    for token in tokens:
        m = UDEV_TOKEN.match(token)
        assert m, f"malformed udev token {token!r}"
        parsed.append(m.groups())
    have = {(key + (attr or ""), op, value) for key, attr, op, value in parsed}
    assert ("SUBSYSTEM", "==", "tty") in have
    assert ("SYMLINK", "+=", "sitwatch-cushion") in have
    assert ("GROUP", "=", "dialout") in have
    assert ("ENV{ID_MM_DEVICE_IGNORE}", "=", "1") in have
    ids = {key + attr: value for key, attr, op, value in parsed if attr and op == "=="}
    assert re.fullmatch(r"[0-9a-f]{4}", ids["ATTRS{idVendor}"])
    assert re.fullmatch(r"[0-9a-f]{4}", ids["ATTRS{idProduct}"])


def test_serve_unit_settings() -> None:
    unit = parse_unit(SERVE_UNIT)
    assert values(unit, "Service", "ExecStart") == ["%h/.local/bin/sitwatch serve"]
    assert values(unit, "Service", "UMask") == ["0077"]
    assert values(unit, "Install", "WantedBy") == ["default.target"]


def test_companion_unit_settings() -> None:
    """With the desktop session (notifications need it), and trying again for good: a host
    not found before the network is up at login ends it with exit code 2."""
    unit = parse_unit(COMPANION_UNIT)
    assert values(unit, "Service", "ExecStart") == ["%h/.local/bin/sitwatch companion"]
    assert values(unit, "Service", "Restart") == ["on-failure"]
    assert values(unit, "Unit", "StartLimitIntervalSec") == ["0"]
    assert values(unit, "Unit", "PartOf") == ["graphical-session.target"]
    assert values(unit, "Install", "WantedBy") == ["graphical-session.target"]


def test_bridge_units_settings() -> None:
    """Not tied to a desktop (the Pi has none), trying again for good (a host not found before
    the network is up ends it with exit code 2); the system one sandboxed like the daemon's,
    with the serial ports and nothing more."""
    user = parse_unit(BRIDGE_UNIT)
    assert values(user, "Service", "ExecStart")[0].startswith("%h/.local/bin/sitwatch bridge --to ")
    assert values(user, "Install", "WantedBy") == ["default.target"]
    assert values(user, "Unit", "PartOf") == []
    pi = parse_unit(PI_BRIDGE_UNIT)
    for unit in (user, pi):
        assert values(unit, "Service", "Restart") == ["on-failure"]
        assert values(unit, "Unit", "StartLimitIntervalSec") == ["0"]
    svc = dict(pi["Service"])
    assert svc["ExecStart"].startswith("/usr/local/bin/sitwatch bridge --to ")
    assert svc["User"] == "sitwatch" and svc["SupplementaryGroups"] == "dialout"
    assert svc["Type"] == "simple" and "WatchdogSec" not in svc  # no sd_notify in the bridge
    assert sorted(values(pi, "Service", "DeviceAllow")) == [
        "char-ttyACM rw", "char-ttyAMA rw", "char-ttyS rw", "char-ttyUSB rw"]
    assert values(pi, "Install", "WantedBy") == ["multi-user.target"]


def test_pi_serve_unit_settings() -> None:
    unit = parse_unit(PI_SERVE_UNIT)
    svc = dict(unit["Service"])
    assert svc["ExecStart"] == "/usr/local/bin/sitwatch serve --lan"  # a token is required
    assert svc["User"] == "sitwatch" and svc["StateDirectory"] == "sitwatch"
    # Reads the daemon's status folder but must not own it: stopping this unit would remove it.
    assert "RuntimeDirectory" not in svc
    assert "RUNTIME_DIRECTORY=/run/sitwatch" in values(unit, "Service", "Environment")
    assert svc["UMask"] == "0077" and svc["ProtectSystem"] == "strict"


@pytest.mark.parametrize(("unit", "timer", "exe"),
                         [(WEEKLY_UNIT, WEEKLY_TIMER, "%h/.local/bin/sitwatch"),
                          (PI_WEEKLY_UNIT, PI_WEEKLY_TIMER, "/usr/local/bin/sitwatch")],
                         ids=["user", "pi"])
def test_weekly_units_write_then_send(unit, timer, exe) -> None:
    """The service is a oneshot that writes the page, then sends that same page; the timer
    fires weekly and catches up after the machine was off."""
    svc = parse_unit(unit)
    assert values(svc, "Service", "Type") == ["oneshot"]
    write, send = values(svc, "Service", "ExecStart")
    w, s = write.split(), send.split()
    assert w[0] == s[0] == exe
    # the week that ended on Sunday, also when the timer catches up days later
    assert w[1:6] == ["report", "--week", "last", "--format", "html"] and s[1] == "report-send"
    assert w[6] == "-o" and w[7] == s[2]  # the page written is the page sent
    assert s[3:] == ["--week", "last"]  # ... and its message is that same week
    assert values(svc, "Service", "UMask") == ["0077"]
    assert not values(svc, "Install", "WantedBy")  # started by the timer only
    t = parse_unit(timer)
    assert values(t, "Timer", "OnCalendar") == ["Sun *-*-* 20:00:00"]
    assert values(t, "Timer", "Persistent") == ["true"]
    assert values(t, "Install", "WantedBy") == ["timers.target"]
    assert timer.stem == unit.stem  # a timer starts the service of its own name


def test_pi_weekly_unit_shares_the_daemons_files() -> None:
    svc = dict(parse_unit(PI_WEEKLY_UNIT)["Service"])
    assert svc["User"] == "sitwatch" and svc["ConfigurationDirectory"] == "sitwatch"
    # the first StateDirectory is $STATE_DIRECTORY: the daemon's, where the history is
    assert svc["StateDirectory"].split()[0] == "sitwatch"
    assert "sitwatch/reports" in svc["StateDirectory"].split()
    assert "RuntimeDirectory" not in svc  # the daemon's folder; this unit must not remove it
