"""A matrix's wallet zones follow where the layout puts each cell, whichever corner the matrix
is numbered from (a maker's matrix wired front first and right first)."""

import numpy as np
import pytest

from sitwatch.sensing import layout
from sitwatch.sensing.detectors.wallet import Zones


def _grid(tmp_path, first_row: str, first_col: str) -> layout.Layout:
    f = tmp_path / f"{first_row}-{first_col}.toml"
    f.write_text(f'name = "m"\nfull_scale = 1023\n[grid]\nrows = 10\ncols = 15\n'
                 f'first_row = "{first_row}"\nfirst_col = "{first_col}"\n')
    return layout.load(f)


@pytest.mark.parametrize(("first_row", "first_col"),
                         [("front", "right"), ("front", "left"), ("rear", "right")])
def test_each_cell_pools_into_the_zone_where_it_lies(tmp_path, first_row, first_col) -> None:
    usual, other = _grid(tmp_path, "rear", "left"), _grid(tmp_path, first_row, first_col)
    zu, zo = Zones(usual), Zones(other)
    for i in range(other.n):
        k = int(np.argmax(zo.pool[i]))
        # the cell of the usual matrix at the same place, and the zone it pools into
        j = int(np.argmin(np.abs(usual.x - other.x[i]) + np.abs(usual.y - other.y[i])))
        assert (zo.x[k], zo.y[k]) == (zu.x[int(np.argmax(zu.pool[j]))],
                                     zu.y[int(np.argmax(zu.pool[j]))])
        assert (zo.y[k] < 0) == (other.y[i] < 0)  # a rear zone holds rear cells only
        if other.x[i] != 0:  # (the middle column pools to the left, as on the usual matrix)
            assert (zo.x[k] < 0) == (other.x[i] < 0)
