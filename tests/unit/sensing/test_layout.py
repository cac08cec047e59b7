import numpy as np
import pytest

from sitwatch.sensing import layout
from sitwatch.sensing.layout import LayoutError


def test_builtin_layouts_load() -> None:
    names = layout.builtin_names()
    assert {
        "load-cells-4",
        "matrix-16x16",
        "smartchair-12",
        "ethz-wheelchair-24",
        "technion-5",
    } <= set(names)
    for n in names:
        lay = layout.load(n)
        assert lay.n == len(lay.channels)
        assert (np.abs(lay.x) <= 1).all() and (np.abs(lay.y) <= 1).all()


def test_smartchair_layout_matches_dataset_description() -> None:
    lay = layout.load("smartchair-12")
    assert [c.surface for c in lay.channels] == ["back"] * 4 + ["seat"] * 8
    rear = [c.label for c in lay.channels if c.surface == "seat" and c.y < -0.5]
    assert rear == ["p04", "p05"]
    assert lay.mirror[4] == 5 and lay.mirror[8] == 9 and lay.mirror[0] == 1


def test_grid_geometry() -> None:
    g = layout.load("grid:16x16")
    assert g.n == 256 and g.is_grid
    assert g.channels[0].x < 0 and g.channels[0].y < 0  # rear left
    assert g.channels[255].x > 0 and g.channels[255].y > 0  # front right
    assert g.mirror[0] == 15
    same = layout.load("matrix-16x16")
    assert np.allclose(same.x, g.x) and np.allclose(same.y, g.y)


def test_grid_orientation_flags(tmp_path) -> None:
    f = tmp_path / "g.toml"
    f.write_text('name = "g"\nfull_scale = 255\n[grid]\nrows = 2\ncols = 2\nfirst_row = "front"\n')
    g = layout.load(f)
    assert g.channels[0].y > 0


@pytest.mark.parametrize(
    ("text", "msg"),
    [
        ('name="x"\n[[channels]]\nsurface="seat"\nx=2\ny=0\n', "out of range"),
        ('name="x"\n[[channels]]\nsurface="arm"\nx=0\ny=0\n', "'seat' or 'back'"),
        ('name="x"\n[[channels]]\nsurface="back"\nx=0\ny=0\n', "no seat channel"),
        ('name="x"\nbogus=1\n[[channels]]\nsurface="seat"\nx=0\ny=0\n', "unknown key"),
        ('name="x"\n', "needs [[channels]]"),
        ('name="x"\n[detect]\nthreshold=1\n[[channels]]\nsurface="seat"\nx=0\ny=0\n', "[detect]"),
        ("not toml [", "not valid TOML"),
    ],
)
def test_bad_layout_files_say_what_to_fix(tmp_path, text: str, msg: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(LayoutError, match=msg.replace("[", r"\[").replace("(", r"\(")):
        layout.load(f)


def test_unknown_layout_lists_the_choices() -> None:
    with pytest.raises(LayoutError, match="smartchair-12"):
        layout.load("nope")
    with pytest.raises(LayoutError, match="grid:ROWSxCOLS"):
        layout.load("grid:axb")


SEAT = '[[channels]]\nsurface="seat"\nx=-0.5\ny=0\n[[channels]]\nsurface="seat"\nx=0.5\ny=0\n'


def test_layout_detection_defaults_fill_in_under_the_users_config(tmp_path) -> None:
    from sitwatch import config

    f = tmp_path / "w.toml"
    f.write_text('name = "w"\n[detect.balance]\nthreshold = 0.12\nrelease = 0.05\n' + SEAT)
    lay = layout.load(f)
    assert lay.detect == {"balance": {"threshold": 0.12, "release": 0.05}}
    plain = config.load(use_user_file=False)
    got = config.for_layout(plain, lay).detect.balance
    assert (got.threshold, got.release, got.dwell) == (0.12, 0.05, plain.detect.balance.dwell)
    # the user's own key wins, the layout's other keys still apply
    mine = config.load(use_user_file=False, overrides={"detect.balance.threshold": 0.4})
    got = config.for_layout(mine, lay).detect.balance
    assert (got.threshold, got.release) == (0.4, 0.05)
    # a layout without a [detect] table changes nothing
    assert config.for_layout(mine, layout.load("smartchair-12")) is mine


def test_layout_detection_defaults_that_clash_name_the_layout(tmp_path, capsys) -> None:
    from sitwatch import config
    from sitwatch.cli.main import main

    f = tmp_path / "w.toml"
    f.write_text('name = "w"\n[detect.balance]\nthreshold = 0.12\nrelease = 0.05\n' + SEAT)
    mine = config.load(use_user_file=False, overrides={"detect.balance.release": 0.2})
    with pytest.raises(config.ConfigError) as e:
        config.for_layout(mine, layout.load(f))
    text = str(e.value)
    assert "release must be smaller than threshold" in text
    assert str(f) in text and "detect.balance.threshold = 0.12" in text
    # a misspelt key in the layout is caught by `config validate` (exit 2), naming the layout
    f.write_text('name = "w"\n[detect.balance]\nthresh = 0.12\n' + SEAT)
    cfgf = tmp_path / "sitwatch.toml"
    cfgf.write_text(f'[cushion]\nlayout = "{f}"\n')
    assert main(["config", "validate", str(cfgf)]) == 2
    err = capsys.readouterr().err
    assert f"{f} [detect]: detect.balance.thresh: unknown key" in err


def test_wheelchair_layout_ships_a_quick_lateral_rule() -> None:
    from sitwatch import config

    cfg = config.for_layout(config.load(use_user_file=False), layout.load("ethz-wheelchair-24"))
    office = config.Config().detect.balance
    assert cfg.detect.balance.threshold < office.threshold
    assert cfg.detect.balance.dwell < office.dwell


def test_run_refuses_to_start_with_a_clashing_layout(tmp_path, capsys) -> None:
    from sitwatch.cli.main import main

    f = tmp_path / "w.toml"
    f.write_text('name = "w"\n[detect.balance]\nthreshold = 0.12\n' + SEAT)
    cfgf = tmp_path / "sitwatch.toml"
    cfgf.write_text(f'[cushion]\nlayout = "{f}"\nport = "/dev/null"\n'
                    f'[history]\ndatabase = "{tmp_path / "h.db"}"\n'
                    '[detect.balance]\nrelease = 0.2\n')
    assert main(["run", "--no-user-config", "--config", str(cfgf)]) == 2
    assert "release must be smaller than threshold" in capsys.readouterr().err
    assert not (tmp_path / "h.db").exists()  # nothing was started
