"""``sitwatch serve``: the local web app (live status, today, weekly reports, the symptom diary,
the settings in force).

It runs beside the daemon as its own process rather than inside it: the daemon's loop stays
free of a web stack (and of its imports), the pages keep working while the daemon is stopped or
restarting, and the web app can be started, stopped and sandboxed on its own (its systemd unit).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from sitwatch.cli.common import (
    EXIT_CONFIG,
    EXIT_FAIL,
    EXIT_OK,
    config_errors,
    config_source,
    err,
    follow_running_daemon,
    load_config,
)

TOKEN_FILE = "web-token"


def _lan_address() -> str:
    """This computer's address on the network (no packet is sent), else its host name."""
    import socket

    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("192.0.2.1", 9))  # TEST-NET-1: only picks the outgoing interface
        return str(s.getsockname()[0])
    except OSError:
        return socket.gethostname()
    finally:
        s.close()


def _print_qr(url: str) -> None:
    try:
        import qrcode
    except ImportError:
        from sitwatch.core.extras import install_hint

        print(f"(install the web extra for a QR code: {install_hint('web')})")
        return
    qr = qrcode.QRCode(border=2)
    qr.add_data(url)
    qr.make(fit=True)
    qr.print_ascii(out=sys.stdout, invert=True)


def run(args: argparse.Namespace) -> int:
    import socket

    from sitwatch import config
    from sitwatch.core import paths
    from sitwatch.core.extras import install_hint
    from sitwatch.runtime.files import history_path, status_path, status_stale_after

    follow_running_daemon()
    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    if args.history and Path(args.history).expanduser().is_dir():
        err(f"--history {args.history}: is a folder, not a history file: name a file inside it")
        return EXIT_CONFIG
    try:
        import uvicorn

        from sitwatch.web.app import Settings, create_app
        from sitwatch.web.token import TokenFile, load_or_create
    except ImportError as e:
        err(f"the web app needs the web extra ({e.name or e}): {install_hint('web')}")
        return EXIT_FAIL
    from sitwatch.cli.report import _local_zone
    from sitwatch.core.clock import SystemClock

    lan = bool(cfg.web.lan if args.lan is None else args.lan)
    port = cfg.web.port if args.web_port is None else args.web_port
    if not 0 <= port < 65536:
        err(f"--port {port}: choose a port from 1 to 65535 (0: any free port)")
        return EXIT_CONFIG
    host = "0.0.0.0" if lan else cfg.web.host
    token = None
    if lan:
        token_path = paths.data_dir() / TOKEN_FILE
        try:
            token = load_or_create(token_path, renew=args.new_token)
        except OSError as e:
            err(f"cannot keep the LAN token in {token_path}: {e.strerror or e}")
            return EXIT_FAIL
    elif args.new_token:
        err("--new-token goes with --lan (without it no token is used)")
        return EXIT_CONFIG

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as e:
        sock.close()
        err(f"cannot listen on {host}:{port}: {e.strerror or e} (another program uses the "
            "port? choose another with --port or web.port)")
        if args.new_token and token is not None:
            err(f"the new token is saved in {token_path}. If the program on port {port} is "
                "`sitwatch serve --lan` (the sitwatch service), it uses the new token from its "
                "next request on: old links and phones stop working there, and this one opens "
                f"it:\n  http://{_lan_address()}:{port}/?token={token}")
        return EXIT_FAIL
    sock.listen(64)
    port = sock.getsockname()[1]

    # absolute: the pages name it, and "history.sqlite" says nothing about where it is
    hp = Path(args.history).expanduser().resolve() if args.history else history_path(cfg)
    settings = Settings(cfg=cfg, history=hp, status=status_path(cfg), tz=_local_zone(),
                        clock=SystemClock(), stale_after=status_stale_after(cfg),
                        token=None if token is None else TokenFile(token_path, token),
                        history_named=bool(args.history), config_file=config_source(args),
                        user_config=str(config.user_config_path()))
    app = create_app(settings)
    shown = "[::1]" if host == "::1" else ("127.0.0.1" if lan else host)
    print(f"sitwatch: serving on http://{shown}:{port}/", flush=True)
    if lan and token is not None:
        url = f"http://{_lan_address()}:{port}/?token={token}"
        print("Other devices on your network can open (keep this address to yourself: it "
              f"holds the token):\n  {url}")
        _print_qr(url)
        print("`sitwatch serve --lan --new-token` makes a new token (and locks out old links).",
              flush=True)
    server: Any = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False,
                                                lifespan="on"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
    return EXIT_OK
