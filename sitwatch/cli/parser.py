"""The command line's parsers: every command's arguments, and the handler that imports the
command's module only when that command runs.

Keeping the arguments here (and not in the command modules) is what keeps ``sitwatch --help``
quick: building the parser imports argparse and nothing of sitwatch's machinery. Each handler
imports its command module by name, so type checkers and dead-code tools follow every command.
"""

from __future__ import annotations

import argparse
from typing import Any

from sitwatch.cli.camera_flags import add_calibrate_camera_flags, add_replay_flags
from sitwatch.cli.common import cushion_flags, positive


def add_run(sub: Any) -> None:
    sp = sub.add_parser("run", help="run the daemon")
    cushion_flags(sp)
    sp.add_argument("--camera", help="webcam index, /dev/videoN or a video file (camera.device)")
    sp.add_argument("--headless", action="store_true", help="no desktop notifications")
    sp.add_argument("--calibration", help="calibration profile (JSON)")
    sp.add_argument("--json", action="store_true", help="print events as JSON lines")
    sp.set_defaults(func=_run)


def add_demo(sub: Any) -> None:
    sp = sub.add_parser("demo", help="the daemon against a virtual cushion in accelerated time")
    sp.add_argument(
        "--speed",
        type=float,
        default=0,
        help="simulated seconds per second (0: as fast as the display allows)",
    )
    sp.add_argument("--layout", default="smartchair-12",
                    help="the virtual cushion's sensor layout (`sitwatch layouts` lists them)")
    sp.add_argument("--seed", type=int, default=7,
                    help="the virtual sitter's day: the same seed plays the same day")
    sp.add_argument("--plain", action="store_true", help="no live display; print events")
    sp.add_argument("--script", choices=["day", "demo"], default="day",
                    help="day: an 8-hour office day; demo: a 2-hour compressed one")
    sp.add_argument("--history", metavar="FILE",
                    help="keep the simulated history in FILE (e.g. /tmp/demo.sqlite) for "
                    "`sitwatch report --history FILE`; default: a temporary folder")
    sp.add_argument("--days", type=int, default=1, metavar="N",
                    help="with --history: simulate N days ending today (7 fills a week)")
    sp.set_defaults(func=_demo)


def add_replay(sub: Any) -> None:
    sp = sub.add_parser("replay", help="run a recording through the pipeline")
    sp.add_argument("file", help="a recording (`sitwatch record`), a CSV whose first row names "
                    "the channels, or a camera recording")
    sp.add_argument("--layout", help="the sensor layout (default: the one the recording names)")
    sp.add_argument(
        "--calibration",
        help="calibration profile (default: the saved one `sitwatch run` uses for the "
        "recording's layout, if any); for a camera recording, the camera profile",
    )
    sp.add_argument("--auto", action="store_true",
                    help="learn the profile from the recording instead of the saved one")
    sp.add_argument("--hz", type=positive, help="frame rate for files without a time column")
    sp.add_argument("--json", action="store_true",
                    help="one JSON object per line (`sitwatch docs events`)")
    fb = sp.add_mutually_exclusive_group()
    fb.add_argument("--feedback", metavar="FILE",
                    help='thresholds eased by "Not right" from FILE (default: your saved ones '
                    "for the recording's layout, as `sitwatch run` uses them)")
    fb.add_argument("--no-feedback", action="store_true",
                    help="the configured thresholds, without your feedback")
    add_replay_flags(sp)
    sp.set_defaults(func=_replay)


def add_record(sub: Any) -> None:
    sp = sub.add_parser("record", help="save what the cushion sends to a recording")
    cushion_flags(sp)
    sp.add_argument("-o", "--output", required=True, metavar="FILE",
                    help="the recording to write (owner-only)")
    sp.add_argument("--duration", type=positive,
                    help="seconds to record (default: until Ctrl-C)")
    sp.set_defaults(func=_record)


def add_simulate(sub: Any) -> None:
    sp = sub.add_parser("simulate", help="stream a virtual cushion on a pseudo-terminal")
    sp.add_argument("--layout", default="smartchair-12",
                    help="the virtual cushion's sensor layout (`sitwatch layouts` lists them)")
    sp.add_argument("--hz", type=positive, default=20.0, help="frames per second it sends")
    sp.add_argument("--speed", type=float, default=1.0,
                    help="simulated seconds per second (the virtual sitter's pace; a `sitwatch "
                         "run` watching keeps wall-clock time: `sitwatch demo` speeds up both)")
    sp.add_argument("--duration", type=positive,
                    help="simulated seconds (default: the whole script)")
    sp.add_argument("--script", choices=["day", "demo"], default="day",
                    help="day: an 8-hour office day; demo: a 2-hour compressed one")
    sp.add_argument("--seed", type=int, default=0,
                    help="the virtual sitter's day: the same seed plays the same day")
    sp.add_argument("--link", help="also make this symlink to the pty")
    sp.add_argument("--garbage", type=float, default=0.0, help="share of lines to corrupt")
    sp.add_argument("--unplug", action="append", default=[], metavar="AT:SECONDS",
                    help="unplug the virtual cushion at simulated second AT for SECONDS of real "
                    "time (repeatable)")
    sp.add_argument("--fail", metavar="SENSOR:AT[:dead|short]",
                    help="one sensor (its label or number) fails at simulated second AT: dead "
                    "reads as if unloaded (a cracked lead), short reads its top value; default "
                    "dead")
    sp.add_argument("-o", "--output", help="write a recording file instead of streaming")
    sp.add_argument("--interactive", action="store_true",
                    help="steer the virtual sitter from the keyboard instead of the script "
                    "(e empty, u upright, a upright away from the backrest, s slumped, "
                    "f forward, b leaning back, l/r leaning left/right, q stops): what "
                    "`sitwatch calibrate` asks for, when you try it on the simulator")
    sp.set_defaults(func=_simulate)


def add_calibrate(sub: Any) -> None:
    sp = sub.add_parser("calibrate", help="take your empty-seat and upright readings")
    sp.add_argument("target", nargs="?", choices=["cushion", "camera"], default="cushion",
                    help="what to calibrate (default: the cushion)")
    cushion_flags(sp)
    add_calibrate_camera_flags(sp)
    sp.add_argument("--recording", help="calibrate from time ranges of a recording")
    sp.add_argument("--hz", type=positive,
                    help="--recording: frame rate for files without a time column")
    sp.add_argument("--empty", metavar="A:B", help="seconds of the recording with the seat empty")
    sp.add_argument("--upright", metavar="A:B", help="seconds sitting upright")
    sp.add_argument("--upright-away", dest="upright_away", metavar="A:B",
                    help="seconds sitting upright away from the backrest (optional)")
    sp.add_argument("--slouch", metavar="A:B",
                    help="seconds slumped (optional): checked, and the slump rule made more "
                    "sensitive for you if yours is subtle")
    sp.add_argument("--lean-left", dest="lean_left", metavar="A:B",
                    help="seconds leaning onto your left buttock (optional; with --lean-right "
                    "it checks the sides and may lower the lean threshold for you)")
    sp.add_argument("--lean-right", dest="lean_right", metavar="A:B",
                    help="seconds leaning onto your right buttock (optional)")
    sp.add_argument(
        "-o", "--output",
        help="where to save (default: calibration-LAYOUT.json in the data dir)"
    )
    sp.add_argument(
        "--forget-learned", dest="forget_learned", action="store_true",
        help="only drop what sitting taught from the saved profile (ways of sitting upright "
        "clear of the backrest), keeping the calibration"
    )
    sp.set_defaults(func=_calibrate)


def add_status(sub: Any) -> None:
    sp = sub.add_parser("status", help="the running daemon's live state")
    how = sp.add_mutually_exclusive_group()
    how.add_argument("--json", action="store_true", help="everything, as JSON")
    how.add_argument(
        "--waybar",
        action="store_true",
        help="one line of JSON (text, tooltip, class, percentage) for waybar, i3blocks or "
        "polybar; always exits 0",
    )
    how.add_argument(
        "--watch",
        action="store_true",
        help="for scripts: a JSON line now and another whenever sitting, away, paused, the "
        "posture or a natural break changes (`sitwatch docs presence`); runs until Ctrl-C",
    )
    sp.add_argument(
        "--follow",
        action="store_true",
        help="with --waybar: keep running and print a new line whenever the state changes",
    )
    sp.add_argument("--interval", type=float, default=None, metavar="SECONDS",
                    help="with --follow or --watch: how often to look (default 5 with "
                    "--follow, 1 with --watch)")
    sp.set_defaults(func=_status)


def add_service(sub: Any) -> None:
    sp = sub.add_parser(
        "service", help="start sitwatch at every login (or, with --system, at every boot)"
    )
    sp.add_argument("action", choices=["install", "uninstall", "status"],
                    help="install: start sitwatch at login (or boot, --system); uninstall: "
                    "stop that; status: whether it is installed and running")
    sp.add_argument(
        "--system",
        action="store_true",
        help="the hardened system unit for a headless box such as a Raspberry Pi (as root)",
    )
    sp.add_argument("--no-start", action="store_true", help="install and enable, start later")
    sp.add_argument("--with-web", action="store_true",
                    help="also run the web app (`sitwatch serve`, the web extra) beside it; "
                    "with --system it listens on the LAN, with a token")
    sp.add_argument("--companion", action="store_true",
                    help="install `sitwatch companion` instead of the daemon: this desktop "
                    "shows the nudges of a sitwatch on another machine (a Raspberry Pi), "
                    "through MQTT")
    sp.add_argument("--bridge", action="store_true",
                    help="install `sitwatch bridge --to URL` instead of the daemon: this "
                    "machine's cushion (a Raspberry Pi's), read by the sitwatch on another "
                    "machine through MQTT; with --system at every boot")
    sp.add_argument("--to", metavar="URL",
                    help="with --bridge: mqtt://HOST[:PORT]/TOPIC, the other sitwatch's "
                    "cushion.port (no password in it: the config's [mqtt] has it)")
    sp.add_argument("--no-weekly", action="store_true",
                    help="leave out the weekly report's timer (Sundays 20:00: the week's page, "
                    "sent to nudges.push.report_urls if set)")
    sp.add_argument("--force", action="store_true",
                    help="replace or remove unit files that sitwatch did not write")
    sp.add_argument("--dry-run", action="store_true", help="say what would be done, do nothing")
    sp.set_defaults(func=_service)


def add_companion(sub: Any) -> None:
    sp = sub.add_parser(
        "companion",
        help="show the nudges of a sitwatch on another machine (a Raspberry Pi under the "
        "chair) as desktop notifications, through the MQTT broker",
    )
    sp.add_argument("--base-topic", metavar="TOPIC",
                    help="the other sitwatch's mqtt.base_topic (default: this config's "
                    "mqtt.base_topic)")
    sp.set_defaults(func=_companion)


def add_bridge(sub: Any) -> None:
    sp = sub.add_parser(
        "bridge",
        help="publish the cushion wired to this machine (a Raspberry Pi under the chair) to an "
        "MQTT broker, for the sitwatch on another machine to read as a wireless cushion",
    )
    sp.add_argument("--to", required=True, metavar="URL",
                    help="mqtt://HOST[:PORT]/TOPIC (mqtts:// for TLS): what the other "
                    "sitwatch's cushion.port says (`sitwatch docs protocol`)")
    sp.add_argument("--port", help="the cushion's serial device (default: cushion.port)")
    sp.set_defaults(func=_bridge)


def add_control(sub: Any) -> None:
    sp = sub.add_parser("snooze", help="no nudges for a while (e.g. 30m); watching goes on")
    sp.add_argument("duration", help="30m, 1h, 1h30m ...")
    sp.set_defaults(func=_control)
    _duration_may_look_negative(sp)
    sp = sub.add_parser("pause", help="stop watching for a while (or until resume)")
    sp.add_argument("duration", nargs="?", help="30m, 1h ... (default: until resume)")
    sp.set_defaults(func=_control)
    _duration_may_look_negative(sp)
    sp = sub.add_parser("resume", help="end a pause or a snooze")
    sp.set_defaults(func=_control)


def _duration_may_look_negative(sp: argparse.ArgumentParser) -> None:
    """Let ``-5m`` reach the command as its DURATION (which then says that a duration cannot
    be negative) instead of argparse taking it for an unknown option and answering "the
    following arguments are required: duration". These parsers have no option that starts
    with a digit, so nothing else is read differently."""
    import re

    sp._negative_number_matcher = re.compile(r"^-\d")


def add_feedback(sub: Any) -> None:
    sp = sub.add_parser("feedback", help='"Not right": tell sitwatch a posture nudge was wrong')
    fsub = sp.add_subparsers(dest="action", metavar="ACTION", required=True)
    w = fsub.add_parser("wrong", help="the last posture nudge (or KIND's) was a false alarm: "
                        "ease that kind's thresholds a step; 'learned': forget the way of "
                        "sitting upright it said it learned",
                        description="Answer the last posture nudge you were shown (or the last "
                        "one of KIND) \"Not right\": that kind's thresholds are eased a step. "
                        "Each nudge is answered once: a second answer to the same nudge (its "
                        "button, then this command) says it was already noted and changes "
                        "nothing. A KIND sitwatch has not shown lately is refused unless you "
                        "add --force.")
    w.add_argument("kind", nargs="?", metavar="KIND",
                   help="slouch, leaning_forward, lopsided, wallet, static, or learned (the "
                   "way of sitting it learned last was not upright; default: the last "
                   "posture nudge)")
    w.add_argument("--force", action="store_true",
                   help="ease KIND a step even though no nudge of it is waiting for an answer "
                   "(none shown lately, or the last one already answered)")
    r = fsub.add_parser("reset", help="back to the configured thresholds (KIND's, or all); "
                        "'learned': rejected ways of sitting may be learned again")
    r.add_argument("kind", nargs="?", metavar="KIND",
                   help="slouch, leaning_forward, lopsided, wallet, static or learned "
                   "(default: all)")
    s = fsub.add_parser("show", help="what your feedback changed, and when")
    s.add_argument("--json", action="store_true", help="everything, as JSON")
    sp.set_defaults(func=_feedback)


def add_doctor(sub: Any) -> None:
    sp = sub.add_parser("doctor", help="check the cushion, notifications, storage and config")
    cushion_flags(sp)
    sp.add_argument("--camera", help="webcam index, /dev/videoN or a video file (camera.device)")
    sp.add_argument("--listen", type=float, default=3.0, metavar="SECONDS",
                    help="how long to listen to the cushion (default 3)")
    sp.add_argument("--headless", action="store_true",
                    help="no desktop: do not count a missing notification service as a problem")
    sp.set_defaults(func=_doctor)


def add_report(sub: Any) -> None:
    sp = sub.add_parser("report", help="a summary of a day, a week or a month from the history",
                        description="A report read back from the history (`sitwatch docs "
                        "reports`). A day by default; --week or --month for longer.")
    sp.add_argument("--day", help="YYYY-MM-DD (default: today)")
    period = sp.add_mutually_exclusive_group()
    period.add_argument("--week", nargs="?", const="", metavar="YYYY-Www",
                        help="an ISO week such as 2026-W47 (Monday to Sunday), or last (the "
                        "last week that is over by --day's evening: on a Sunday its own); "
                        "alone: the seven days ending on --day")
    period.add_argument("--month", nargs="?", const="", metavar="YYYY-MM",
                        help="a calendar month such as 2026-11; alone: the month of --day")
    sp.add_argument("--format", choices=["text", "md", "html", "json", "csv"],
                    help="text (default), md (Markdown), html (one self-contained page: the "
                    "week, or the month with --month), json or csv (one row a day)")
    sp.add_argument("-o", "--output", metavar="FILE",
                    help="write to FILE (owner-only) instead of the terminal")
    sp.add_argument("--open", action="store_true",
                    help="open the HTML page with the desktop's opener once written")
    sp.add_argument("--html", nargs="?", const="", metavar="FILE",
                    help="the week as a self-contained HTML page (same as --format html; "
                    "default file sitwatch-week-YYYY-MM-DD.html)")
    sp.add_argument("--history", metavar="FILE",
                    help="read this history file (default: the daemon's, or history.database)")
    sp.set_defaults(func=_report)


def add_export(sub: Any) -> None:
    sp = sub.add_parser(
        "export", help="your history as CSV or JSON, to keep or to show a physiotherapist",
        description="Per-minute sitting, the events (breaks, postures, nudges ...) and your "
        "symptom diary between two dates, as CSV files or one JSON document "
        "(`sitwatch docs reports`). The files are readable by you only.")
    sp.add_argument("--since", required=True, metavar="DATE", help="first day, YYYY-MM-DD")
    sp.add_argument("--until", metavar="DATE", help="last day, YYYY-MM-DD (default: today)")
    fmt = sp.add_mutually_exclusive_group(required=True)
    fmt.add_argument("--csv", action="store_true",
                     help="three CSV files: FILE-minutes.csv, FILE-events.csv, "
                     "FILE-symptoms.csv")
    fmt.add_argument("--json", action="store_true", help="one JSON document")
    sp.add_argument("-o", "--output", metavar="FILE",
                    help="where to write (JSON: default the terminal; CSV: the files' common "
                    "name, default sitwatch-export-SINCE-UNTIL). A folder: the default-named "
                    "file(s) inside it (sitwatch-export-SINCE-UNTIL.json, or "
                    "sitwatch-export-SINCE-UNTIL-minutes.csv ...)")
    sp.add_argument("--history", metavar="FILE",
                    help="read this history file (default: the daemon's, or history.database)")
    sp.set_defaults(func=_export)


def add_log(sub: Any) -> None:
    # The choices are spelled here (not read from core.kinds) to keep `sitwatch --help` free of
    # imports; tests/unit/reports/test_diary.py checks they match the vocabulary.
    sp = sub.add_parser(
        "log", help="note a symptom in your diary (numbness, tingling, pain, ache)",
        description="Note how you feel; sitwatch keeps it in the history and shows it against "
        "how you sat in the two hours before. Red flags get advice to seek care at once: "
        "numbness in the saddle area (--where saddle), symptoms in both legs (--side both "
        "--where leg), lower back pain of 8/10 or more, and anything you note with --with. "
        "sitwatch is not a medical device and cannot diagnose.")
    sp.add_argument("kind", choices=["numbness", "tingling", "pain", "ache"],
                    help="what you feel")
    sp.add_argument("--side", choices=["left", "right", "both"], help="which side")
    sp.add_argument("--where", choices=["buttock", "thigh", "leg", "lower-back", "saddle"],
                    help="saddle: the inner thighs, the groin or around the anus")
    sp.add_argument("--severity", type=_severity, metavar="1-10", help="1 mild ... 10 worst")
    sp.add_argument("--note", metavar="TEXT", help="a few words of your own")
    sp.add_argument("--with", dest="also", action="append", metavar="CHANGE",
                    choices=["bladder", "bowel", "leg-weakness", "fever", "severe-back-pain",
                             "injury", "weight-loss", "cancer"],
                    help="also noticed (repeatable): bladder (control changed, or trouble "
                    "starting to pass urine), bowel (control changed), leg-weakness (sudden or "
                    "getting worse), fever, severe-back-pain, injury (a recent fall, accident "
                    "or other serious injury), weight-loss (without explanation), cancer (a "
                    "history of it). Each is a red flag")
    sp.add_argument("--history", metavar="FILE",
                    help="write into this history file (default: the daemon's)")
    sp.set_defaults(func=_log)


def add_report_send(sub: Any) -> None:
    sp = sub.add_parser(
        "report-send", help="send the week's report to nudges.push.report_urls (the weekly timer)",
        description="Send the week's report through apprise to the services in "
        "nudges.push.report_urls (e-mail, ntfy ...): its text as the message, with FILE (the "
        "HTML page `sitwatch report --week --html` wrote) attached where the service takes "
        "files. Nothing is sent, and the exit code is 0, when no service is configured.")
    sp.add_argument("file", nargs="?", metavar="FILE", help="the HTML page to attach")
    sp.add_argument("--day", help="the week's last day, YYYY-MM-DD (default: today)")
    sp.add_argument("--week", metavar="YYYY-Www",
                    help="an ISO week such as 2026-W47, or last (the last week that is over by "
                    "--day's evening: on a Sunday, its own), as `sitwatch report --week` takes it")
    sp.add_argument("--history", metavar="FILE",
                    help="read this history file (default: the daemon's, or history.database)")
    sp.set_defaults(func=_report_send)


def _severity(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= 10:
        raise argparse.ArgumentTypeError(f"{text!r}: a whole number from 1 to 10")
    return n


def add_serve(sub: Any) -> None:
    sp = sub.add_parser(
        "serve", help="the local web app: live status, reports, the symptom diary",
        description="Serve sitwatch's pages on http://127.0.0.1 (web.port). With --lan (or "
        "web.lan = true) other devices on your network can open them too, with a token: the "
        "command prints the address and a QR code to scan with a phone.")
    sp.add_argument("--port", dest="web_port", type=int, metavar="PORT",
                    help="port (default: web.port; 0: any free port)")
    sp.add_argument("--lan", action="store_true", default=None,
                    help="listen on every interface, token required (web.lan)")
    sp.add_argument("--new-token", action="store_true",
                    help="replace the LAN token (old links and phones stop working)")
    sp.add_argument("--history", metavar="FILE",
                    help="read this history file (default: the daemon's)")
    sp.set_defaults(func=_serve)


def add_eval(sub: Any) -> None:
    sp = sub.add_parser(
        "eval", help="measure the detectors on the labelled recordings in shared/datasets"
    )
    sp.add_argument("--shared", help="the folder that holds datasets/ (default: "
                    "$SITWATCH_SHARED, else a shared/ folder here or above, else ../shared "
                    "beside a source checkout)")
    sp.add_argument("--markdown", action="store_true",
                    help="markdown tables, as in `sitwatch docs accuracy`")
    sp.add_argument("--quick", action="store_true",
                    help="skip the held-out threshold search; simulate 20 sitters, not 200")
    sp.add_argument("--sitters", type=int, metavar="N",
                    help="simulated sitters in the population stress test (0: none)")
    sp.add_argument("--seed", type=int, metavar="N",
                    help="draw the simulated population with this seed (default 2027, the "
                         "held-out one; 10 is the one the detectors were developed on)")
    sp.set_defaults(func=_eval)


def add_config(sub: Any) -> None:
    sp = sub.add_parser("config", help="start, validate or show the configuration")
    sp.add_argument("action", choices=["init", "validate", "show"],
                    help="init: write the documented sample to your config file; validate: "
                    "check a file; show: the config in force (--defaults: the sample)")
    sp.add_argument("file", nargs="?",
                    help="the config file (default: ~/.config/sitwatch/sitwatch.toml)")
    sp.add_argument("--defaults", action="store_true", help="show: the documented defaults")
    sp.add_argument("--force", action="store_true", help="init: replace an existing file")
    sp.add_argument("--secrets", action="store_true",
                    help="show: print passwords, push URLs and the hook's arguments as written "
                    "(hidden by default)")
    sp.set_defaults(func=_config)


def add_layouts(sub: Any) -> None:
    sp = sub.add_parser("layouts", help="list built-in sensor layouts or show one")
    sp.add_argument("name", nargs="?",
                    help="a built-in layout's name or a layout file (default: list them all)")
    sp.set_defaults(func=_layouts)


def add_docs(sub: Any) -> None:
    sp = sub.add_parser("docs", help="where the documentation is, or one document "
                        "(`sitwatch docs NAME`, as messages name them)")
    sp.add_argument("name", nargs="?",
                    help="a document, e.g. protocol; the README's docs/protocol.md works too "
                    "(default: list them)")
    sp.add_argument("--path", action="store_true", help="print the document's file, not its text")
    sp.set_defaults(func=_docs)


def add_guidance(sub: Any) -> None:
    sp = sub.add_parser("guidance", help="the advice behind each nudge")
    sp.add_argument("kind", nargs="?",
                    help="one nudge kind, e.g. slouch or prolonged_sitting (default: all)")
    sp.set_defaults(func=_guidance)


# -- handlers: import the command's module only when it runs ------------------------------


def _run(args: argparse.Namespace) -> int:
    from sitwatch.cli import run

    return run.run(args)


def _demo(args: argparse.Namespace) -> int:
    from sitwatch.cli import demo

    return demo.run(args)


def _replay(args: argparse.Namespace) -> int:
    from sitwatch.cli import replay

    return replay.run(args)


def _record(args: argparse.Namespace) -> int:
    from sitwatch.cli import record

    return record.run(args)


def _simulate(args: argparse.Namespace) -> int:
    from sitwatch.cli import simulate

    return simulate.run(args)


def _calibrate(args: argparse.Namespace) -> int:
    from sitwatch.cli import calibrate

    return calibrate.run(args)


def _status(args: argparse.Namespace) -> int:
    from sitwatch.cli import status

    return status.run(args)


def _service(args: argparse.Namespace) -> int:
    from sitwatch.cli import service

    return service.run(args)


def _companion(args: argparse.Namespace) -> int:
    from sitwatch.cli import companion

    return companion.run(args)


def _bridge(args: argparse.Namespace) -> int:
    from sitwatch.cli import bridge

    return bridge.run(args)


def _control(args: argparse.Namespace) -> int:
    from sitwatch.cli import control

    return control.run(args)


def _feedback(args: argparse.Namespace) -> int:
    from sitwatch.cli import feedback

    return feedback.run(args)


def _doctor(args: argparse.Namespace) -> int:
    from sitwatch.cli import doctor

    return doctor.run(args)


def _report(args: argparse.Namespace) -> int:
    from sitwatch.cli import report

    return report.run(args)


def _export(args: argparse.Namespace) -> int:
    from sitwatch.cli import export

    return export.run(args)


def _log(args: argparse.Namespace) -> int:
    from sitwatch.cli import log

    return log.run(args)


def _serve(args: argparse.Namespace) -> int:
    from sitwatch.cli import serve

    return serve.run(args)


def _eval(args: argparse.Namespace) -> int:
    from sitwatch.cli import eval_cmd

    return eval_cmd.run(args)


def _config(args: argparse.Namespace) -> int:
    from sitwatch.cli import config_cmd

    return config_cmd.run(args)


def _layouts(args: argparse.Namespace) -> int:
    from sitwatch.cli import layouts

    return layouts.run(args)


def _docs(args: argparse.Namespace) -> int:
    from sitwatch.cli import docs

    return docs.run(args)


def _guidance(args: argparse.Namespace) -> int:
    from sitwatch.cli import guidance

    return guidance.run(args)


def _report_send(args: argparse.Namespace) -> int:
    from sitwatch.cli import report_send

    return report_send.run(args)
