"""``sitwatch layouts [NAME]``: the built-in sensor layouts, or one in detail."""

from __future__ import annotations

import argparse

from sitwatch.cli.common import EXIT_CONFIG, EXIT_OK, err


def run(args: argparse.Namespace) -> int:
    from sitwatch.sensing import layout

    if args.name:
        try:
            lay = layout.load(args.name)
        except layout.LayoutError as e:
            err(str(e))
            return EXIT_CONFIG
        print(lay.summary())
        if lay.description:
            print(lay.description)
        for sec, kv in lay.detect.items():
            for k, v in kv.items():
                print(f"  detection default: detect.{sec}.{k} = {v!r} (your config can override)")
        if not lay.is_grid:
            for c in lay.channels:
                print(f"  {c.index:3d}  {c.label:<12} {c.surface:<5} x={c.x:+.2f} y={c.y:+.2f}")
        return EXIT_OK
    for name in layout.builtin_names():
        print(layout.load(name).summary())
    print("grid:RxC: any seat matrix, e.g. grid:16x16 (values 0-255, row 0 at the rear, column 0 "
          "on the left; another scale or corner needs a layout file: `sitwatch docs protocol`, "
          "\"A matrix of your own\")")
    return EXIT_OK
