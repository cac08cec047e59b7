import numpy as np
import pytest

from sitwatch import layout
from sitwatch.layout import LayoutError


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
