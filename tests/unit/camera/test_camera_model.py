"""`sitwatch model fetch` against a real HTTP server on 127.0.0.1 serving the shared model."""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import threading
from pathlib import Path

import pytest

from sitwatch.camera import model
from sitwatch.cli.camera import cmd_model_fetch, cmd_model_path
from tests.helpers.camera import MODEL


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not MODEL.is_file():
        pytest.skip(f"pose model not found at {MODEL}")
    root = tmp_path_factory.mktemp("www")
    shutil.copyfile(MODEL, root / "pose_landmarker_full.task")
    (root / "notamodel.task").write_bytes(b"<html>sorry</html>")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(root))

    class Quiet(http.server.ThreadingHTTPServer):
        daemon_threads = True

    httpd = Quiet(("127.0.0.1", 0), handler)
    httpd.RequestHandlerClass.log_message = lambda *a: None  # type: ignore[method-assign]
    th = threading.Thread(target=httpd.serve_forever, daemon=True)
    th.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def leftovers(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir()) if d.exists() else []


def test_good_download_is_verified_and_installed(server, tmp_path):
    dest = tmp_path / "models" / "pose_landmarker_full.task"
    got = model.fetch("full", dest, url=f"{server}/pose_landmarker_full.task",
                      sha256=model.SHARED_FULL_SHA256)
    assert got == dest and model.sha256_of(dest) == model.SHARED_FULL_SHA256
    assert leftovers(dest.parent) == ["pose_landmarker_full.task",
                                      "pose_landmarker_full.task.sha256"]
    assert model.verify(dest) is None
    dest.write_bytes(dest.read_bytes()[:-1] + b"x")
    assert "changed since it was downloaded" in model.verify(dest)


def test_checksum_mismatch_leaves_nothing_behind(server, tmp_path):
    dest = tmp_path / "pose_landmarker_full.task"
    with pytest.raises(model.FetchError, match="checksum mismatch"):
        model.fetch("full", dest, url=f"{server}/pose_landmarker_full.task", sha256="0" * 64)
    assert leftovers(tmp_path) == []


def test_a_mismatch_keeps_an_existing_good_model(server, tmp_path):
    dest = tmp_path / "pose_landmarker_full.task"
    model.fetch("full", dest, url=f"{server}/pose_landmarker_full.task")
    before = dest.read_bytes()
    with pytest.raises(model.FetchError):
        model.fetch("full", dest, url=f"{server}/pose_landmarker_full.task", sha256="1" * 64,
                    force=True)
    assert dest.read_bytes() == before


@pytest.mark.parametrize(("path", "words"), [("missing.task", "404"),
                                             ("notamodel.task", "not a MediaPipe .task")])
def test_bad_downloads_are_explained(server, tmp_path, path, words):
    with pytest.raises(model.FetchError, match=words):
        model.fetch("full", tmp_path / "m.task", url=f"{server}/{path}")
    assert leftovers(tmp_path) == []


def test_no_network_is_explained(tmp_path):
    with pytest.raises(model.FetchError, match="cannot download"):
        model.fetch("lite", tmp_path / "m.task", url="http://127.0.0.1:9/none.task", timeout=2)
    assert leftovers(tmp_path) == []


def test_bad_arguments(tmp_path):
    with pytest.raises(model.FetchError, match="unknown model variant"):
        model.fetch("huge", tmp_path / "m.task")
    with pytest.raises(model.FetchError, match="64 hex digits"):
        model.fetch("full", tmp_path / "m.task", sha256="abc")


def test_official_urls_are_pinned():
    for v, info in model.MODELS.items():
        assert info.url.endswith(f"/pose_landmarker_{v}/float16/1/pose_landmarker_{v}.task")


def test_the_command(server, tmp_path, capsys):
    dest = tmp_path / "m.task"
    args = argparse.Namespace(variant="full", output=str(dest), no_user_config=True,
                              url=f"{server}/pose_landmarker_full.task",
                              sha256=model.SHARED_FULL_SHA256, force=False)
    assert cmd_model_fetch(args) == 0
    assert model.SHARED_FULL_SHA256 in capsys.readouterr().err
    args.sha256, args.force = "2" * 64, True
    assert cmd_model_fetch(args) == 1
    assert "checksum mismatch" in capsys.readouterr().err


def test_model_path_reports_a_missing_model(capsys):
    assert cmd_model_path(argparse.Namespace(no_user_config=True)) == 1
    err = capsys.readouterr().err
    assert "sitwatch model fetch" in err


def test_native_log_noise_is_dropped_and_everything_else_passes(capfd) -> None:
    """What MediaPipe's native loggers write while the model loads goes; errors and anything
    else written to stderr meanwhile (another thread's log line) still arrive."""
    import os

    from sitwatch.camera.pose import native_stderr_filtered

    with native_stderr_filtered():
        os.write(2, b"INFO: [environment.cc:36] Creating LiteRT environment with options\n"
                    b"WARNING: [model_load.cc:402] Sparsity tensors may not yet be fully "
                    b"supported.\n"
                    b"WARNING: Logging before InitGoogle() is written to STDERR\n"
                    b"W0000 00:00:1796002611.255935   20222 inference_runner_litert.cc:1433] "
                    b"Input tensor memory is not aligned\n"
                    b"ERROR: [model_load.cc:99] the model is damaged\n"
                    b"E0000 00:00:1796002611.255935   20222 calculator.cc:1] failed\n"
                    b"WARNING sitwatch.camera: camera offline: no camera\n")
    err = capfd.readouterr().err
    assert err.splitlines() == ["ERROR: [model_load.cc:99] the model is damaged",
                                "E0000 00:00:1796002611.255935   20222 calculator.cc:1] failed",
                                "WARNING sitwatch.camera: camera offline: no camera"]
    os.write(2, b"INFO: after the block nothing is filtered\n")
    assert capfd.readouterr().err == "INFO: after the block nothing is filtered\n"


def test_calibrating_from_a_video_without_the_model_says_only_that(tmp_path, capsys) -> None:
    """Regression: `sitwatch calibrate camera --recording clip.avi` with no pose model warned
    about the model, then added "nothing between 0 and 3 s (the recording covers no poses)",
    which sends the user to a recording that is fine. Now: the model's problem alone, exit 1
    (as the live calibration and `sitwatch replay` give it)."""
    from sitwatch.camera.pose import missing_model_message
    from sitwatch.cli.main import main

    clip = tmp_path / "clip.avi"
    clip.write_bytes(b"RIFF....AVI ")  # never opened: the model is looked at first
    missing = tmp_path / "models" / "pose_landmarker_full.task"
    cfg = tmp_path / "cam.toml"
    cfg.write_text(f'[cushion]\nport = ""\n[camera]\nmodel = "{missing}"\n')
    rc = main(["--no-user-config", "--config", str(cfg), "calibrate", "camera", "--recording",
               str(clip), "--upright", "0:3", "-o", str(tmp_path / "cal.json")])
    err = capsys.readouterr().err
    assert rc == 1
    assert err.splitlines() == [f"sitwatch: {missing_model_message(missing)}"], err
    assert not (tmp_path / "cal.json").exists()
