"""Cushion-only mode must stay cheap on a Raspberry Pi: nothing on its path may import the
camera stack (OpenCV, MediaPipe) or the optional channels' libraries."""

import subprocess
import sys

HEAVY = ("cv2", "mediapipe", "paho", "apprise", "jinja2", "rich", "skimage", "starlette",
         "uvicorn", "qrcode")


def test_cushion_path_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "import sitwatch.cli.main, sitwatch.runtime.daemon, sitwatch.sensing.pipeline\n"
        "import sitwatch.config\n"
        "import sitwatch.cli.doctor\n"
        "import sitwatch.sources.serial, sitwatch.sinks.desktop, sitwatch.sinks.console\n"
        "import sitwatch.history.store, sitwatch.runtime.status\n"
        "import sitwatch.nudging.gate, sitwatch.nudging.dnd\n"
        "from sitwatch import config\n"
        "config.load(use_user_file=False)\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_imports_neither_pydantic_nor_numpy() -> None:
    code = (
        "import sys\n"
        "from sitwatch.cli.main import build_parser\n"
        "build_parser().format_help()\n"
        "print(','.join(m for m in ('pydantic', 'numpy', 'serial') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_help_imports_no_command_module() -> None:
    """Building the parser loads the table, the parsers and the shared helpers, nothing else of
    ours: each command module is imported by its handler when it runs (start-up time)."""
    code = (
        "import sys\n"
        "from sitwatch.cli.main import build_parser\n"
        "build_parser().format_help()\n"
        "print(','.join(sorted(m for m in sys.modules if m.startswith('sitwatch'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert set(out.stdout.strip().split(",")) == {
        "sitwatch", "sitwatch.cli", "sitwatch.cli.main", "sitwatch.cli.parser",
        "sitwatch.cli.common", "sitwatch.cli.camera_flags"}


def test_the_diary_command_loads_no_web_stack() -> None:
    """`sitwatch log` writes and reads the history without Starlette, uvicorn or Jinja2: only
    `sitwatch serve` loads the web extra."""
    code = (
        "import sys\n"
        "import sitwatch.cli.log, sitwatch.history.diary, sitwatch.reports.diary\n"
        "import sitwatch.history.store, sitwatch.runtime.files\n"
        f"print(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
