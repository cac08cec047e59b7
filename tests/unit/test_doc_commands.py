"""Every `sitwatch` command the docs show exists as written, and every config setting they
show is one the config model accepts.

Read as a new user reads them: README.md, docs/*.md, the READMEs of calibration/, systemd/ and
firmware/, SECURITY.md and the sample config's comments. A command is an inline code span or
a line of a code block that starts with ``sitwatch`` (after ``$``, ``sudo`` or ``env X=Y``);
in the README's table of commands, the spans after the first in a cell (`` `uninstall` ``,
`` `show [--json]` ``) are more of the same command's. Each must name a command (and
subcommand) that `sitwatch --help` lists, options that command takes, and for options and
arguments with a fixed set of values (``--format``, ``log numbness``), one of those values.
A setting is an inline span such as `` `[detect.stillness] after = 1200` `` or
`` `nudges.daily_budget_hours = 6` ``, or a dotted key such as `` `detect.balance.spread` ``.
Each failure names the file and the line.
"""

from __future__ import annotations

import argparse
import re
import tomllib
import typing
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import BaseModel

from sitwatch.cli.main import build_parser
from sitwatch.config import Config

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
        ROOT / "calibration" / "README.md", ROOT / "systemd" / "README.md",
        ROOT / "firmware" / "README.md", ROOT / "SECURITY.md", ROOT / "config" / "sitwatch.toml"]
SPAN = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
#: what may stand before the command: a prompt, sudo, environment variables
LEAD = re.compile(r"^(?:\$\s+)?(?:sudo\s+(?:-u\s+\S+\s+)?)?(?:env\s+)?(?:[A-Z_]+=\S+\s+)*")
SECTIONS = set(Config.model_fields)


@dataclass(frozen=True)
class Mention:
    where: str  # file:line
    words: tuple[str, ...]  # after `sitwatch`


def _command(text: str) -> tuple[str, ...] | None:
    """The words after ``sitwatch`` when ``text`` is a sitwatch command line, else None."""
    text = LEAD.sub("", text.strip())
    if not text.startswith("sitwatch ") and text != "sitwatch":
        return None
    text = re.split(r"\s#|\s\|\s", text)[0]  # a comment, or a pipe into another program
    words = tuple(text.split()[1:])
    if words and not re.fullmatch(r"-[\w-]+|[a-z][a-z-]*", words[0]):
        return None  # what it prints (`sitwatch companion: did not show ...`), `sitwatch ...`
    return words


def _spans(path: Path, text: str | None = None) -> list[Mention]:
    """The commands in ``path``'s inline code spans and code blocks (or in ``text``, said to
    be ``path``'s)."""
    out: list[Mention] = []
    lines = (path.read_text(encoding="utf-8") if text is None else text).splitlines()
    fenced = False
    carried = ""
    for n, line in enumerate(lines, 1):
        where = f"{path.relative_to(ROOT)}:{n}"
        if line.startswith("```"):
            fenced = not fenced
            continue
        if fenced:
            if line.rstrip().endswith("\\"):
                carried += line.rstrip()[:-1] + " "
                continue
            words = _command(carried + line)
            carried = ""
            if words is not None:
                out.append(Mention(where, words))
            continue
        cells = line.split(" | ") if line.startswith("| `sitwatch ") else [line]
        for cell_no, cell in enumerate(cells):
            first: tuple[str, ...] | None = None
            for m in SPAN.finditer(cell):
                words = _command(m.group(1))
                if words is not None:
                    out.append(Mention(where, words))
                    first = first or words
                elif cell_no == 0 and first and m.start() > 0 and cell[:m.start()].rstrip()\
                        .endswith("/"):
                    # `sitwatch service install ...` / `uninstall`: more of the same command,
                    # or another one (`sitwatch model fetch` / `calibrate camera`)
                    more = tuple(m.group(1).split())
                    out.append(Mention(where, more if _own_command(first[0], more[0])
                                       else (first[0], *more)))
    return out


def mentions() -> list[Mention]:
    return [m for doc in DOCS for m in _spans(doc)]


def _subparsers(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            return dict(a.choices)
    return {}


def _own_command(command: str, word: str) -> bool:
    """``word`` is a command of its own, not one of ``command``'s actions."""
    top = build_parser()
    cmd = _subparsers(top).get(command)
    ours = [*_subparsers(cmd)] if cmd is not None else []
    if cmd is not None:
        ours += [c for a in cmd._actions if not a.option_strings and a.choices
                 for c in a.choices]
    return word not in ours and word in _subparsers(top)


def _alternatives(word: str) -> list[str]:
    """``--csv\\|--json`` or ``[--day`` as the plain words it stands for."""
    return [w.strip("[]()`,.;:") for w in re.split(r"\\?\|", word) if w.strip("[]()`,.;:")]


def _literal(word: str) -> bool:
    """A value written out (``html``, ``numbness``), not a placeholder (``FILE``, ``S``)
    or something to fill in (``[KIND]``, ``...``)."""
    return bool(re.fullmatch(r"[a-z][a-z0-9_-]*", word))


def problems(m: Mention, top: argparse.ArgumentParser) -> list[str]:
    """What in ``m`` the command line does not have."""
    words = list(m.words)
    parser, path = top, ["sitwatch"]
    # a command that opens with an option (`sitwatch --help`, `sitwatch --config F run`)
    while words and words[0].startswith("-"):
        opt = words.pop(0)
        if opt not in {o for a in top._actions for o in a.option_strings}:
            return [f"{m.where}: `sitwatch {opt}`: no such option"]
        if opt == "--config" and words:
            words.pop(0)
    subs = _subparsers(parser)
    if words and subs:
        if words[0] not in subs:
            return [f"{m.where}: `sitwatch {words[0]}`: no such command"]
        while words and words[0] in _subparsers(parser):
            path.append(words[0])
            parser = _subparsers(parser)[words.pop(0)]
    name = " ".join(path)
    options = {o: a for a in parser._actions for o in a.option_strings}
    positionals = [a for a in parser._actions
                   if not a.option_strings and not isinstance(a, argparse._SubParsersAction)
                   and a.dest != "help"]
    found: list[str] = []
    takes: argparse.Action | None = None  # the option whose value comes next
    bare = 0  # positional words so far
    for word in words:
        alts = _alternatives(word)
        if not alts:
            continue
        if alts[0].startswith("-"):
            takes = None
            for alt in alts:
                opt = alt.split("=")[0]
                if not opt.startswith("-") or opt in ("-", "--"):
                    continue
                if opt not in options:
                    found.append(f"{m.where}: `{name}` has no option {opt}")
                else:
                    takes = options[opt] if options[opt].nargs != 0 else None
            continue
        action = takes
        takes = None
        if action is None and not word.startswith("["):
            action = positionals[bare] if bare < len(positionals) else None
            bare += 1
        if action is None or not action.choices or word.startswith("["):
            continue
        for alt in alts:
            if _literal(alt) and alt not in action.choices:
                found.append(f"{m.where}: `{name}`: {alt!r} is not one of "
                             f"{', '.join(map(str, action.choices))}")
    return found


def test_the_docs_show_many_commands() -> None:
    # the check below means something only if it finds the commands the docs show
    found = mentions()
    assert len(found) >= 150
    assert {m.words[0] for m in found if m.words} >= {"run", "status", "service", "report",
                                                      "calibrate", "config", "feedback"}
    with_options = [m for m in found if any(w.startswith("--") for w in m.words)]
    assert len(with_options) >= 60


def test_every_command_the_docs_show_exists_as_written() -> None:
    top = build_parser()
    found = [p for m in mentions() for p in problems(m, top)]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize(("text", "expect"), [
    ("`sitwatch report --weak`", "has no option --weak"),
    ("`sitwatch report --format pdf`", "'pdf' is not one of"),
    ("`sitwatch log numbness\\|itching`", "'itching' is not one of"),
    ("`sitwatch statuss`", "no such command"),
    ("`sitwatch feedback show --jsn`", "`sitwatch feedback show` has no option --jsn"),
    ("| `sitwatch config init` / `show [--default]` | x |", "has no option --default"),
    ("```sh\nsudo sitwatch service install --system \\\n    --bridg\n```", "no option --bridg"),
])
def test_the_scan_catches_a_command_that_does_not_exist(text: str, expect: str) -> None:
    found = [p for m in _spans(ROOT / "docs" / "_probe.md", text)
             for p in problems(m, build_parser())]
    assert any(expect in p for p in found), found
    assert all(p.startswith("docs/_probe.md:") for p in found)


def test_the_scan_takes_what_is_written_right() -> None:
    text = ("`sitwatch report --week --format html\\|json -o FILE` `sitwatch log ache --side "
            "both --with fever` `sudo env SITWATCH_INSTANCE=system sitwatch doctor --headless` "
            "`sitwatch --version` `sitwatch config show --defaults`")
    found = _spans(ROOT / "docs" / "_probe.md", text)
    assert len(found) == 5
    assert [p for m in found for p in problems(m, build_parser())] == []


# -- settings ------------------------------------------------------------------------------


def _field_model(model: type[BaseModel], key: str) -> type[BaseModel] | bool | None:
    """The model under ``key`` of ``model``; None when ``key`` holds a plain value (a number, a
    table of kinds); False when ``model`` has no such key."""
    if key not in model.model_fields:
        return False
    ann = model.model_fields[key].annotation
    for a in (ann, *typing.get_args(ann)):
        if isinstance(a, type) and issubclass(a, BaseModel):
            return a
    return None


def key_exists(dotted: str) -> bool:
    model: type[BaseModel] | None = Config
    for part in dotted.split("."):
        if model is None:
            return True  # inside a value (a table such as nudges.cooldown.slouch)
        found = _field_model(model, part)
        if found is False:
            return False
        model = found or None
    return True


def settings() -> list[tuple[str, str]]:
    """``(file:line, span)`` for the inline spans that name or set a config key."""
    out = []
    for doc in DOCS:
        for n, line in enumerate(doc.read_text(encoding="utf-8").splitlines(), 1):
            for m in SPAN.finditer(line):
                span = m.group(1).strip()
                head = re.match(r"\[?([a-z_]+)[.\]]", span)
                if head and head.group(1) in SECTIONS:
                    out.append((f"{doc.relative_to(ROOT)}:{n}", span))
    return out


def _module(key: str) -> bool:
    """``key`` names a module or a file (``history.queries.days_summaries``,
    ``history.sqlite``), not a setting."""
    parts = key.split(".")
    return parts[-1] in {"sqlite", "json", "toml", "md", "py"} or any(
        (ROOT / "sitwatch" / Path(*parts[:i])).with_suffix(".py").is_file()
        for i in range(1, len(parts) + 1))


def setting_problem(where: str, span: str) -> str | None:
    if "..." in span:
        span = span.split("=")[0].strip()  # a value left out: the key alone
    table = re.fullmatch(r"\[([a-z_.]+)\]\s+(.+=.+)", span)  # [detect.stillness] after = 1200
    if table:
        toml = f"[{table.group(1)}]\n{table.group(2)}"
    elif re.fullmatch(r"[a-z_]+(\.[a-z_0-9]+)+\s*=.+", span):  # nudges.daily_budget_hours = 6
        toml = span
    else:
        for key in re.findall(r"(?<![\w/.-])([a-z_]+(?:\.[a-z_0-9]+)+)(?![\w/-])", span):
            if key.split(".")[0] in SECTIONS and not _module(key) and not key_exists(key):
                return f"{where}: `{span}`: {key} is not a config key"
        return None
    try:
        Config.model_validate(tomllib.loads(toml))
    except (tomllib.TOMLDecodeError, ValueError) as e:
        return f"{where}: `{span}`: the config does not take it: {str(e).splitlines()[0:3]}"
    return None


def test_the_docs_name_many_settings() -> None:
    found = settings()
    assert len(found) >= 100
    assert sum(1 for _, s in found if "=" in s) >= 10


def test_every_setting_the_docs_show_is_one_the_config_takes() -> None:
    found = [p for where, span in settings() if (p := setting_problem(where, span))]
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("span", [
    "[detect.stillness] afterr = 1200", "nudges.daily_budget_hours = \"six\"",
    "detect.balance.spred", "[nudges.dnd] channels = []", "cushion.prot",
])
def test_the_settings_check_catches_a_key_the_config_rejects(span: str) -> None:
    assert setting_problem("docs/x.md:3", span) is not None


@pytest.mark.parametrize("span", [
    "[detect.stillness] after = 1200", "nudges.daily_budget_hours = 6",
    "detect.balance.spread", "nudges.cooldown.slouch", "[web] lan = true",
])
def test_the_settings_check_takes_a_key_the_config_takes(span: str) -> None:
    assert setting_problem("docs/x.md:3", span) is None


# -- the other way round: what the command line has, the docs name ---------------------------

README = ROOT / "README.md"
USER_DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]
#: the commands of a new user's first hour and every day after: each of their options is named
#: in the README or docs/, in a command of theirs or beside one (the same paragraph, table row)
EVERYDAY = ("run", "status", "report", "calibrate", "doctor", "feedback", "demo", "eval")


def _public(p: argparse.ArgumentParser) -> list[str]:
    """The commands ``p``'s help lists (not the hidden ones)."""
    for a in p._actions:
        if isinstance(a, argparse._SubParsersAction):
            return [c.dest for c in a._choices_actions]
    return []


def _shared(top: argparse.ArgumentParser) -> set[str]:
    """The options every command takes (--config, --no-user-config, -v, --help)."""
    sets = [{o for a in p._actions for o in a.option_strings}
            for p in _subparsers(top).values()]
    return set.intersection(*sets)


def _paragraphs(text: str) -> list[str]:
    """Paragraphs, list items and table rows: what stands beside a command."""
    out: list[str] = []
    cur: list[str] = []
    for line in text.splitlines():
        if not line.strip() or line.startswith(("|", "#", "- ", "```")):
            if cur:
                out.append("\n".join(cur))
            cur = [line] if line.startswith("- ") else []
            if line.startswith("|"):
                out.append(line)
        else:
            cur.append(line)
    if cur:
        out.append("\n".join(cur))
    return out


def documented(words: tuple[str, ...], docs: dict[Path, str] | None = None) -> set[str]:
    """The options named for the command ``words`` (``("feedback", "show")``) in ``docs``
    (path -> text; the README and docs/ unless given): in a command line of it, or in a span
    that opens with an option beside one (`` `--upright-away 100:160` ``)."""
    have: set[str] = set()
    texts = docs if docs is not None else {d: d.read_text(encoding="utf-8") for d in USER_DOCS}
    for path, text in texts.items():
        for para in _paragraphs(text):
            ms = [m for m in _spans(path, para) if m.words[:len(words)] == words]
            if not ms:
                continue
            spans = [m.group(1).split() for m in SPAN.finditer(para)]
            for w in [w for m in ms for w in m.words] + [w for s in spans if s for w in s]:
                have.update(alt.split("=")[0] for alt in _alternatives(w)
                            if alt.startswith("-"))
    return have


def undocumented(top: argparse.ArgumentParser, name: str,
                 docs: dict[Path, str] | None = None) -> list[str]:
    """``sitwatch NAME``'s options (and its subcommands') that ``docs`` never name."""
    shared = _shared(top)
    cmd = _subparsers(top)[name]
    out = []
    for words, parser in [((name,), cmd), *(((name, sub), p) for sub, p in
                                             _subparsers(cmd).items())]:
        have = documented(words, docs)
        for a in parser._actions:
            opts = set(a.option_strings)
            if opts and not opts & shared and a.help != argparse.SUPPRESS and not opts & have:
                out.append(f"`sitwatch {' '.join(words)}` {'/'.join(a.option_strings)} "
                           f"({a.help})")
    return out


def test_every_public_command_is_in_the_readme_table() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    rows = {f"README.md:{n}" for n, line in enumerate(lines, 1)
            if line.startswith("| `sitwatch ")}
    listed = {m.words[0] for m in _spans(README) if m.where in rows and m.words}
    missing = [c for c in _public(build_parser()) if c not in listed]
    assert missing == [], f"not in the README's table of commands: {missing}"


@pytest.mark.parametrize("name", EVERYDAY)
def test_every_option_of_the_everyday_commands_is_in_the_docs(name: str) -> None:
    missing = undocumented(build_parser(), name)
    assert missing == [], "named nowhere in README.md or docs/:\n" + "\n".join(missing)


def test_the_options_every_command_takes_are_named_in_the_readme() -> None:
    spans = {w for m in SPAN.finditer(README.read_text(encoding="utf-8"))
             for w in m.group(1).split()}
    top = build_parser()
    shared = [a for a in _subparsers(top)["run"]._actions
              if set(a.option_strings) & _shared(top) and a.dest != "help"]
    missing = [a.option_strings for a in shared if not set(a.option_strings) & spans]
    assert missing == [], missing


def test_every_subcommand_takes_the_options_every_command_takes() -> None:
    """As the README says: `sitwatch feedback show --config F` was a usage error."""
    top = build_parser()
    shared = _shared(top)
    assert {"--config", "--no-user-config", "-v"} <= shared
    lacking = [f"{name} {sub}" for name, cmd in _subparsers(top).items()
               for sub, p in _subparsers(cmd).items()
               if not shared <= {o for a in p._actions for o in a.option_strings}]
    assert lacking == [], lacking


def test_the_reverse_check_catches_an_option_nobody_documented() -> None:
    probe = ROOT / "docs" / "_probe.md"
    top = build_parser()
    said = undocumented(top, "demo", {probe: "| `sitwatch demo [--plain]` | see `--history F` |"})
    assert any(s.startswith("`sitwatch demo` --seed") for s in said), said
    assert not any(" --plain " in s or " --history " in s for s in said), said
    # a span beside another command does not count for this one
    said = undocumented(top, "demo", {probe: "`sitwatch report --seed 3`"})
    assert any(" --seed " in s for s in said), said
