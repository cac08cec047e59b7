from pathlib import Path

import pytest

from sitwatch import config
from sitwatch.cli.main import main
from sitwatch.core.kinds import NudgeKind

ROOT = Path(__file__).resolve().parents[3]


def test_sample_config_is_the_model_defaults() -> None:
    sample = (ROOT / "config" / "sitwatch.toml").read_text(encoding="utf-8")
    assert sample == config.render(), (
        "regenerate: sitwatch config show --defaults > config/sitwatch.toml"
    )
    assert config.load(ROOT / "config" / "sitwatch.toml") == config.Config()


def test_user_file_and_overrides_layer(tmp_path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[cushion]\nport = "/dev/ttyACM0"\nbaud = 9600\n[detect]\nsit_limit = 1800\n')
    cfg = config.load(f, {"cushion.baud": 57600})
    assert cfg.cushion.port == "/dev/ttyACM0"
    assert cfg.cushion.baud == 57600
    assert cfg.detect.sit_limit == 1800
    assert cfg.detect.occupancy.min_break == 120


def test_each_problem_names_file_key_and_fix(tmp_path) -> None:
    f = tmp_path / "c.toml"
    f.write_text(
        '[cushion]\nbaud = "fast"\nprot = "x"\n[detect.balance]\nthreshold = 0.1\nrelease = 0.2\n'
    )
    with pytest.raises(config.ConfigError) as ei:
        config.load(f)
    lines = ei.value.problems
    assert any(str(f) in ln and "cushion.baud" in ln and "integer" in ln for ln in lines)
    assert any("cushion.prot" in ln and "unknown key" in ln and "port" in ln for ln in lines)
    assert any("detect.balance" in ln and "release must be smaller" in ln for ln in lines)


def test_nudge_kind_keys_are_the_vocabulary(tmp_path) -> None:
    # The per-kind tables are keyed by NudgeKind: a known kind loads as its member, a
    # misspelt one names the key and lists every kind.
    f = tmp_path / "c.toml"
    f.write_text("[nudges.cooldown]\nslouch = 10\n[nudges.buzzer.patterns]\nwallet = 'BUZZ 2'\n")
    cfg = config.load(f)
    assert cfg.nudges.cooldown[NudgeKind.SLOUCH] == 10.0
    assert cfg.nudges.buzzer.patterns == {NudgeKind.WALLET: "BUZZ 2"}
    assert config.Config().nudges.respond_within[NudgeKind.WALLET] == 900.0
    f.write_text("[nudges.respond_within]\nslouching = 10\n")
    with pytest.raises(config.ConfigError) as ei:
        config.load(f)
    (line,) = ei.value.problems
    assert str(f) in line and "nudges.respond_within.slouching" in line
    assert "'prolonged_sitting', 'slouch', 'asymmetric_load', 'wallet', 'daily_budget' or " \
        "'static_sitting'" in line
    assert "(got 'slouching')" in line


def test_broken_toml_names_the_file(tmp_path) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[cushion\n")
    with pytest.raises(config.ConfigError, match=str(f)):
        config.load(f)


def test_cli_validate_exits_2_and_prints_every_problem(tmp_path, capsys) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[nudges]\ntimeout = -1\ncolour = 'red'\n")
    assert main(["config", "validate", str(f)]) == 2
    err = capsys.readouterr().err
    assert "nudges.timeout" in err and "greater than 0" in err
    assert "nudges.colour" in err and "unknown key" in err


def test_cli_validate_ok(tmp_path, capsys) -> None:
    f = tmp_path / "c.toml"
    f.write_text("[cushion]\nlayout = 'smartchair-12'\n")
    assert main(["config", "validate", str(f)]) == 0
    assert "ok" in capsys.readouterr().out


def test_cli_show_defaults_round_trips(capsys) -> None:
    assert main(["config", "show", "--defaults"]) == 0
    assert capsys.readouterr().out == config.render()


def test_a_partial_cooldown_table_keeps_the_other_kinds_defaults(tmp_path, capsys) -> None:
    # cooldown = { slouch = "15m" } used to drop the other kinds, which then fell back to a
    # blanket 900 s (wallet 3600 -> 900); respond_within likewise (wallet 900 -> 300)
    f = tmp_path / "c.toml"
    f.write_text('[nudges]\ncooldown = { slouch = "20m" }\nrespond_within = { slouch = 60 }\n')
    assert main(["--no-user-config", "--config", str(f), "config", "show"]) == 0
    out = capsys.readouterr().out
    assert ("cooldown = { prolonged_sitting = 900.0, slouch = 1200.0, asymmetric_load = 1200.0, "
            "wallet = 3600.0, static_sitting = 600.0 }") in out
    assert ("respond_within = { prolonged_sitting = 300.0, slouch = 60.0, "
            "asymmetric_load = 300.0, wallet = 900.0, static_sitting = 300.0 }") in out


def _patterns(node) -> set[str]:
    if isinstance(node, dict):
        out = {node["pattern"]} if isinstance(node.get("pattern"), str) else set()
        for v in node.values():
            out |= _patterns(v)
        return out
    if isinstance(node, list):
        return set().union(*(_patterns(v) for v in node)) if node else set()
    return set()


def test_every_pattern_a_setting_must_match_is_said_in_words() -> None:
    """A buzzer command, node id or topic that did not match was answered with pydantic's
    regular expression ("String should match pattern '^(?:|BUZZ [1-9]|VIBE ..."): each
    pattern in the model has words."""
    from sitwatch.config import PATTERN_WORDS, Config

    assert _patterns(Config.model_json_schema()) <= set(PATTERN_WORDS)


def test_pattern_and_host_mistakes_are_said_in_words(tmp_path, capsys) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[mqtt]\nhost = "192.168.1.20:1883"\nbase_topic = "home/#"\nnode_id = "my pi"\n'
                   '[nudges.buzzer.patterns]\nslouch = "VIBE 2"\n')
    assert main(["--no-user-config", "--config", str(cfg), "config", "validate"]) == 2
    err = capsys.readouterr().err
    assert "should match pattern" not in err and "^" not in err, err
    assert "mqtt.host: give the broker's host alone" in err and "mqtt.port" in err
    assert "mqtt.base_topic: write a topic without MQTT's wildcards" in err
    assert "mqtt.node_id: write letters, digits, - and _ only" in err
    assert "(got 'VIBE 2')" in err
    cfg.write_text('[mqtt]\nhost = "mqtt://broker.lan"\n')
    assert main(["--no-user-config", "--config", str(cfg), "config", "validate"]) == 2
    assert "without mqtt://" in capsys.readouterr().err
    for ok in ("broker.lan", "192.168.1.20", "::1", "fe80::1"):
        cfg.write_text(f'[mqtt]\nhost = "{ok}"\n')
        assert main(["--no-user-config", "--config", str(cfg), "config", "validate"]) == 0, ok
