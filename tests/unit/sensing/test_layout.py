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
        ('name="x"\ntransform="upside-down"\n[[channels]]\nsurface="seat"\nx=0\ny=0\n',
         "transform = 'upside-down': must be \"none\""),
        ('name="x"\ntransform=1\n[[channels]]\nsurface="seat"\nx=0\ny=0\n', "transform = 1"),
        ('name="x"\ntransform="inverted"\nzero=0\n[[channels]]\nsurface="seat"\nx=0\ny=0\n',
         "above 0 when inverted"),
        ("not toml [", "not valid TOML"),
        ('name="x"\ndivider=1.5\n[[channels]]\nsurface="seat"\nx=0\ny=0\n',
         "divider = 1.5: must be between 0"),
        ('name="x"\ndivider="yes"\n[[channels]]\nsurface="seat"\nx=0\ny=0\n',
         "divider = 'yes': must be a number"),
        ('name="x"\nhz=-2\n[[channels]]\nsurface="seat"\nx=0\ny=0\n',
         "hz = -2: must be between 0"),
        ('name="x"\nhz="fast"\n[[channels]]\nsurface="seat"\nx=0\ny=0\n',
         "hz = 'fast': must be a number (the rows a second"),
    ],
)
def test_bad_layout_files_say_what_to_fix(tmp_path, text: str, msg: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(text)
    with pytest.raises(LayoutError, match=msg.replace("[", r"\[").replace("(", r"\(")):
        layout.load(f)


def test_a_bad_transform_names_the_file_and_the_choices(tmp_path) -> None:
    f = tmp_path / "falls.toml"
    f.write_text('name = "f"\ntransform = "inverse"\n' + SEAT)
    with pytest.raises(LayoutError) as e:
        layout.load(f)
    assert str(e.value).startswith(f"{f}: transform = 'inverse'")
    assert '"inverted" (it falls as the load rises' in str(e.value)


def test_an_inverted_layout_turns_readings_into_loads_and_back(tmp_path) -> None:
    f = tmp_path / "falls.toml"
    f.write_text('name = "f"\nfull_scale = 1023\ntransform = "inverted"\n' + SEAT)
    lay = layout.load(f)
    assert lay.inverted and lay.zero == 1023 and lay.zero_load == 0  # unloaded: full scale
    readings = np.array([[1022.0, 1000.0], [74.0, 422.0]])
    assert lay.to_load(readings).tolist() == [[1.0, 23.0], [949.0, 601.0]]
    assert lay.to_reading(lay.to_load(readings)).tolist() == readings.tolist()
    assert "reading falls as the load rises" in lay.summary()
    plain = layout.load("load-cells-4")
    assert not plain.inverted and plain.to_load(readings) is readings  # no copy, no cost
    assert layout.parse('transform = "none"\n' + SEAT).transform == "none"


def test_a_divider_layout_undoes_the_dividers_flat_response(tmp_path) -> None:
    """``divider = k``: a pad whose reading is ``y = x (1 + k) / (x + k)`` of full scale for a
    load ``x`` is read back as ``x``, on the same 0..full_scale range, and back again."""
    f = tmp_path / "pads.toml"
    f.write_text('name = "f"\nfull_scale = 1023\ntransform = "inverted"\ndivider = 0.1\n' + SEAT)
    lay = layout.load(f)
    assert lay.divider == 0.1 and lay.converts
    x = np.array([0.0, 0.05, 0.3, 0.6, 1.0])  # loads, shares of full scale
    y = x * 1.1 / (x + 0.1)  # what the divider reads, as load-equivalent shares
    readings = 1023 * (1 - y)  # inverted: the reading falls
    assert np.allclose(lay.to_load(readings), 1023 * x)
    assert np.allclose(lay.to_reading(lay.to_load(readings)), readings)
    assert lay.zero_load == pytest.approx(0.0)  # an unloaded pad reads full scale: no load
    # a lean moving 0.1 of full scale onto a loaded pad: its reading moves about a quarter of
    # that (why leans hid), its load all of it
    moved = lay.to_reading(np.array([0.5, 0.6]) * 1023)
    assert abs(moved[1] - moved[0]) < 0.3 * 0.1 * 1023
    assert "read through a divider (half scale at 0.1 of full scale)" in lay.summary()
    rising = layout.parse('divider = 0.2\n' + SEAT)  # a divider wired the other way up
    assert rising.converts and not rising.inverted
    assert np.allclose(rising.to_load(np.array([0.0, 4095 * 0.6 * 1.2 / 0.8])),
                       [0.0, 4095 * 0.6], atol=1e-6)


def test_fsr_cushion_layout_follows_its_readme() -> None:
    """fsr-cushion-9 (../shared/datasets/fsr-cushion-9/README.md): fsrN in column (N-1) // 3
    from the sitter's right and row (N-1) % 3 from the rear; readings fall with the load, and
    the pads are read through dividers (the nominal half-scale load, 0.1 of full scale)."""
    lay = layout.load("fsr-cushion-9")
    assert lay.n == 9 and lay.seat_mask.all() and not lay.is_grid
    assert lay.inverted and lay.full_scale == 1023 and lay.divider == 0.1
    # an unloaded pad (1022) reads a tenth of a count of load once the curve is undone
    assert lay.zero_load == pytest.approx(0.1 * (1 / 1023) / (1.1 - 1 / 1023) * 1023)
    # a pad loaded to 0.9 of full scale (inverted) is 0.45 of full scale: the divider's curve
    assert lay.to_load(np.array([1023 * 0.1]))[0] == pytest.approx(1023 * 0.1 * 0.9 / 0.2)
    assert [c.label for c in lay.channels] == [f"fsr{i}" for i in range(1, 10)]
    for i, c in enumerate(lay.channels):
        assert np.sign(c.x) == (1, 0, -1)[i // 3]  # right, middle, left (x = -1: the left)
        assert np.sign(c.y) == (-1, 0, 1)[i % 3]  # rear, middle, front (y = -1: the rear)
    assert lay.mirror[0] == 6 and lay.mirror[2] == 8 and lay.mirror[4] == -1
    assert "well-supported guess" in lay.description


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


def test_wheelchair_backrest_gives_no_sideways_cue() -> None:
    """The ETHZ backrest cells' sideways positions are not documented: a guessed grid made the
    backrest's centre say "left" while the driver leaned right on the seat (user6_s3), so the
    layout puts them on the midline. Load moving across the backrest alone must not read as a
    lean; the same move on the seat still must."""
    from sitwatch import config
    from sitwatch.sensing import calibration
    from sitwatch.sensing.pipeline import Pipeline

    lay = layout.load("ethz-wheelchair-24")
    seat, back = lay.seat_mask, lay.back_mask
    assert np.all(lay.x[back] == 0)
    up = np.where(seat, 100.0, 30.0)
    prof = calibration.from_frames(lay, tare=None, upright=np.tile(up, (50, 1)),
                                   method="recording")
    # the backrest's load all on the cells the old grid put on the left (x = -0.6)
    one_side = up.copy()
    cells = np.flatnonzero(back)
    one_side[cells] = 0.0
    one_side[cells[[0, 3, 6, 9]]] = 90.0
    # the seat's load moved to its right half (the driver leans right)
    lean = up.copy()
    lean[seat & (lay.x > 0)] = 150.0
    lean[seat & (lay.x < 0)] = 50.0
    for frame, want in ((one_side, "balanced"), (lean, "right")):
        pl = Pipeline(lay, config.load(use_user_file=False), prof)
        for i in range(30):
            pl.process(i * 0.1, frame)
        assert pl.balance.state == want


def test_a_layout_may_say_its_devices_rate(tmp_path) -> None:
    """``hz``: the rows a second the device sends, for its recordings with no time column; the
    smartchair's rows are 500 ms apart, fsr-cushion-9's rate is unknown (10 taken)."""
    assert layout.load("smartchair-12").hz == 2
    assert layout.load("fsr-cushion-9").hz == 10
    assert layout.load("load-cells-4").hz == 0  # a live cushion's: measured, not assumed
    assert layout.grid(4, 4).hz == 0
    f = tmp_path / "mine.toml"
    f.write_text('name = "mine"\nhz = 25\n' + SEAT)
    assert layout.load(f).hz == 25
