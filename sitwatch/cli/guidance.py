"""``sitwatch guidance [KIND]``: the advice behind each nudge, and when to see a doctor."""

from __future__ import annotations

import argparse

from sitwatch.cli.common import EXIT_CONFIG, EXIT_OK, err


def run(args: argparse.Namespace) -> int:
    from sitwatch.core.kinds import NudgeKind
    from sitwatch.nudging import guidance

    if args.kind:
        adv = guidance.CATALOG.get(args.kind)
        if adv is None:
            err(f"unknown kind {args.kind!r}; one of: {', '.join(guidance.CATALOG)}")
            return EXIT_CONFIG
        print(adv.titles[0])
        print(f"Why: {adv.why}")
        print("What to do:")
        for a in adv.actions:
            print(f"  - {a}")
        if args.kind == NudgeKind.PROLONGED_SITTING:
            print("Stretches for your break:")
            for s in guidance.STRETCHES:
                print(f"  - {s}")
        print()
        print(guidance.care_text())
        return EXIT_OK
    for kind, adv in guidance.CATALOG.items():
        print(f"{kind:<18} {adv.titles[0]}: {adv.actions[0]}")
    print("\nsitwatch guidance KIND shows the full advice and when to see a doctor.")
    return EXIT_OK
