"""What a user or packager downloads: the sdist is the whole project, and the wheel carries the
files the commands point to (issue #14 item 20). Built for real with `python -m build`."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.helpers.history import first_day

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SKIP = shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.pyc", "build", "dist",
                              "*.egg-info", ".pytest_cache", ".hypothesis", ".mypy_cache",
                              ".ruff_cache", ".import_linter_cache")


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[set[str], set[str], Path]:
    src = tmp_path_factory.mktemp("src") / "sitwatch"
    shutil.copytree(ROOT, src, ignore=SKIP)
    out = src / "dist"
    proc = subprocess.run([sys.executable, "-m", "build", "--outdir", str(out), str(src)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")  # built from the sdist: proves the sdist is complete
    with tarfile.open(sdist) as tf:
        sd = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
    with zipfile.ZipFile(wheel) as zf:
        wh = set(zf.namelist())
    return sd, wh, wheel


@pytest.fixture(scope="module")
def dists(built) -> tuple[set[str], set[str]]:
    return built[0], built[1]


def test_the_sdist_is_the_whole_project(dists) -> None:
    sd, _ = dists
    for path in ("systemd/sitwatch.service", "systemd/sitwatch-pi.service", "systemd/README.md",
                 "systemd/99-sitwatch-cushion.rules", "docs/architecture.md", "docs/events.md",
                 "config/sitwatch.toml", "calibration/README.md", "tests/conftest.py",
                 "Makefile", "CHANGELOG.md", "README.md", "SECURITY.md", "LICENSE", "setup.py"):
        assert path in sd, path
    assert not any("__pycache__" in n for n in sd)


def test_the_wheel_carries_what_the_commands_point_to(dists) -> None:
    _, wh = dists
    for path in ("sitwatch/data/systemd/sitwatch.service", "sitwatch/data/systemd/README.md",
                 "sitwatch/data/systemd/sitwatch-pi.service",
                 "sitwatch/data/calibration/README.md", "sitwatch/data/docs/events.md",
                 "sitwatch/data/layouts/smartchair-12.toml", "sitwatch/data/report.html.j2",
                 "sitwatch/data/web/base.html.j2", "sitwatch/data/web/live.js",
                 "sitwatch/data/web/style.css", "sitwatch/data/systemd/sitwatch-serve.service",
                 "sitwatch/data/systemd/sitwatch-pi-serve.service",
                 # `sitwatch service install` copies the weekly timer from here
                 "sitwatch/data/systemd/sitwatch-weekly.service",
                 "sitwatch/data/systemd/sitwatch-weekly.timer",
                 "sitwatch/data/systemd/sitwatch-pi-weekly.service",
                 "sitwatch/data/systemd/sitwatch-pi-weekly.timer",
                 "sitwatch/py.typed"):
        assert path in wh, path
    assert not any(n.startswith("tests/") for n in wh)


def test_the_service_installer_finds_its_unit_files() -> None:
    """`sitwatch service install` renders the shipped units (from the wheel's copy when
    installed): they must be there and carry their ExecStart= line."""
    from sitwatch.runtime import service

    assert "ExecStart=/opt/sw/bin/sitwatch run" in service.user_unit(["/opt/sw/bin/sitwatch"])
    assert "run --headless" in service.system_unit(["/opt/sw/bin/sitwatch"])


def _run(venv: Path, *argv: str, **kw) -> subprocess.CompletedProcess[str]:
    kw.setdefault("cwd", venv.parent)  # never the repository: nothing may come from its tree
    return subprocess.run([str(venv / "bin" / argv[0]), *argv[1:]], capture_output=True,
                          text=True, timeout=900, **kw)


def _user_env(venv: Path, home: Path, run: Path) -> dict[str, str]:
    """A new user's environment: an empty home, the venv's bin first on PATH, no session bus."""
    return {"HOME": str(home), "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
            "XDG_CONFIG_HOME": str(home / ".config"), "XDG_RUNTIME_DIR": str(run),
            "PIP_DISABLE_PIP_VERSION_CHECK": "1", "DBUS_SESSION_BUS_ADDRESS": "disabled:"}


@pytest.fixture(scope="module")
def user(built, tmp_path_factory) -> tuple[Path, dict[str, str], Path]:
    """The wheel installed, core only with its real dependencies, into a fresh venv outside
    the repository, as a user installs it: (the venv, a new user's environment, a working
    folder outside the repository to run commands from)."""
    base = tmp_path_factory.mktemp("user")
    venv, home, cwd = base / "venv", base / "home", base / "cwd"
    home.mkdir()
    cwd.mkdir()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    env = _user_env(venv, home, base / "run")
    pip = _run(venv, "python", "-m", "pip", "install", "--quiet", str(built[2]), env=env)
    assert pip.returncode == 0, pip.stderr[-2000:]
    return venv, env, cwd


def test_the_service_dry_run_names_the_installed_sitwatch(user) -> None:
    """`service install --dry-run` says which sitwatch the entry would start: the venv's
    console script, not a source tree's (it said only "would do:")."""
    venv, env, cwd = user
    plan = _run(venv, "sitwatch", "service", "install", "--dry-run", cwd=cwd,
                env={**env, "XDG_CURRENT_DESKTOP": "sitwatch-test"})
    assert plan.returncode == 0, plan.stderr
    first = plan.stdout.splitlines()[0]
    assert first == f"would do, to start {venv / 'bin' / 'sitwatch'}:", plan.stdout
    assert str(ROOT) not in plan.stdout


def test_a_headless_user_install_names_the_installed_pi_guide(user) -> None:
    """With neither a user manager nor a desktop, the refusal points to the Raspberry Pi guide
    by a command that prints the installed copy (it said docs/raspberry-pi.md, a folder of
    the repository a pipx user does not have)."""
    import re

    venv, env, cwd = user
    refused = _run(venv, "sitwatch", "service", "install", cwd=cwd, env=env)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr
    named = re.search(r"`sitwatch (docs [\w-]+)`", refused.stderr)
    assert named and "docs/" not in refused.stderr, refused.stderr
    # a dry run says the same, and shows what a desktop would get (exit 0: no mistake made)
    dry = _run(venv, "sitwatch", "service", "install", "--dry-run", cwd=cwd, env=env)
    assert dry.returncode == 0 and f"`sitwatch {named.group(1)}`" in dry.stdout, dry.stdout
    guide = _run(venv, "sitwatch", *named.group(1).split(), cwd=cwd, env=env)
    assert guide.returncode == 0, guide.stderr
    assert guide.stdout == (ROOT / "docs" / "raspberry-pi.md").read_text(encoding="utf-8")
    where = _run(venv, "sitwatch", *named.group(1).split(), "--path", cwd=cwd, env=env)
    assert Path(where.stdout.strip()).is_relative_to(venv), where.stdout


def test_the_installed_docs_are_found_by_the_names_messages_give(user) -> None:
    """Messages say docs/protocol.md; a wheel user has no docs/ folder, but the wheel carries
    a copy, which `sitwatch docs` finds."""
    venv, env, cwd = user
    proc = _run(venv, "sitwatch", "docs", "--path", "docs/protocol.md", cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stderr
    doc = Path(proc.stdout.strip())
    assert doc.is_file() and doc.is_relative_to(venv), doc
    assert doc.read_text(encoding="utf-8") == (ROOT / "docs" / "protocol.md").read_text(
        encoding="utf-8")


def test_eval_without_datasets_names_a_folder_the_user_knows(user) -> None:
    """`sitwatch eval` from an installed sitwatch with no datasets around: the folder it names
    is in the working directory, not inside the venv (lib/python3.X/shared), and it says how
    to point it at the datasets."""
    venv, env, cwd = user
    proc = _run(venv, "sitwatch", "eval", "--quick", "--sitters", "0", cwd=cwd, env=env)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("no datasets found"))
    assert f"under {cwd / 'shared' / 'datasets'}:" in line, line
    assert "--shared" in line and str(venv) not in proc.stdout, line


def test_a_venv_run_by_its_path_is_told_to_use_its_own_pip(user) -> None:
    """The venv's sitwatch run by its path, the venv not activated: the missing extra's
    command installs into that venv (it said `pip install ...`, the system's pip on PATH)."""
    venv, env, cwd = user
    proc = _run(venv, "sitwatch", "serve", cwd=cwd, env={**env, "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{venv / 'bin' / 'python'} -m pip install 'starlette>=0.37'" in proc.stderr, \
        proc.stderr


def test_a_clean_install_core_then_each_extra(built, user, tmp_path) -> None:
    """The wheel in a fresh venv, as pipx would install it: the core pulls neither OpenCV nor
    MediaPipe nor paho, and works from outside the repository (version, doctor, a replay, the
    service plan, the demo's history and its report); then each extra the README names is
    added and its part imports, and the web app serves its pages and static files from the
    installed package. Last in the file: it adds the extras to the shared venv."""
    from sitwatch.sim.script import Script, away, sit
    from sitwatch.sim.simulator import Simulator

    _, _, wheel = built
    venv, env, cwd = user
    env = {**env, "XDG_CURRENT_DESKTOP": "sitwatch-test"}  # as from a desktop's terminal
    names = {ln.split("==")[0].lower() for ln in _run(
        venv, "python", "-m", "pip", "freeze", env=env).stdout.splitlines()}
    assert not names & {"mediapipe", "opencv-python", "opencv-contrib-python", "paho-mqtt",
                        "apprise", "rich", "starlette", "uvicorn", "jeepney"}, names

    def sitwatch(*argv: str) -> subprocess.CompletedProcess[str]:
        return _run(venv, "sitwatch", *argv, env=env, cwd=cwd)

    version = sitwatch("--version")
    assert version.returncode == 0 and version.stdout.startswith("sitwatch "), version.stderr
    doctor = sitwatch("doctor", "--headless", "--no-user-config")
    assert "Traceback" not in doctor.stderr and "camera" in doctor.stdout, doctor.stderr
    rec = tmp_path / "short.csv"
    sim = Simulator("load-cells-4", Script([away(10), sit(120)]), hz=5.0, seed=2)
    rec.write_text("p1,p2,p3,p4\n" + "\n".join(sim.lines()) + "\n")
    replay = sitwatch("replay", str(rec), "--layout", "load-cells-4", "--hz", "5", "--auto",
                      "--json")
    assert replay.returncode == 0, replay.stderr
    assert '"event": "summary"' in replay.stdout.splitlines()[-1]
    plan = sitwatch("service", "install", "--dry-run")
    assert plan.returncode == 0 and "would do" in plan.stdout, plan.stderr
    layouts = sitwatch("layouts")
    assert layouts.returncode == 0 and "fsr-cushion-9: 9 channels" in layouts.stdout
    history = tmp_path / "demo.sqlite"
    demo = sitwatch("demo", "--plain", "--script", "demo", "--history", str(history))
    assert demo.returncode == 0 and "NUDGE" in demo.stdout, demo.stderr[-2000:]
    # the demo's day, named: past midnight the report of "today" is the next day's, empty
    report = sitwatch("report", "--history", str(history), "--day", str(first_day(history)))
    assert report.returncode == 0 and "Sitting" in report.stdout, report.stderr

    for extra, probe in (("mqtt", "import paho.mqtt.client"), ("push", "import apprise"),
                         ("demo", "import rich"), ("web", "import starlette, uvicorn, qrcode"),
                         ("dbus", "import jeepney"), ("camera", "import mediapipe, cv2")):
        add = _run(venv, "python", "-m", "pip", "install", "--quiet", f"{wheel}[{extra}]",
                   env=env)
        assert add.returncode == 0, (extra, add.stderr[-2000:])
        check = _run(venv, "python", "-c", probe, env=env)
        assert check.returncode == 0, (extra, check.stderr[-2000:])
    model = sitwatch("model", "path")
    assert "Traceback" not in model.stderr, model.stderr
    _serves_its_pages(venv, env, cwd, history)


def _serves_its_pages(venv: Path, env: dict[str, str], cwd: Path, history: Path) -> None:
    """`sitwatch serve` from the installed wheel: its templates and static files load."""
    import time
    import urllib.request

    proc = subprocess.Popen([str(venv / "bin" / "sitwatch"), "serve", "--port", "0",
                             "--history", str(history)], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        url = ""
        while not url and time.monotonic() < deadline:
            line = proc.stdout.readline()
            assert line, "sitwatch serve ended before it served"
            if "serving on " in line:
                url = line.split("serving on ", 1)[1].strip()
        assert url.startswith("http://127.0.0.1:"), url
        for path, words in (("", "sitwatch"), ("today", "Sitting"),
                            ("static/style.css", "{"), ("static/live.js", "function")):
            with urllib.request.urlopen(url + path, timeout=30) as r:
                body = r.read().decode()
            assert r.status == 200 and words in body, (path, body[:300])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
