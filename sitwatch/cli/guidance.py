"""``sitwatch guidance [KIND]``: the advice behind each nudge (the built-in texts and your own
from ``nudges.texts`` / ``nudges.stretches``), and when to see a doctor."""

from __future__ import annotations

import argparse

from sitwatch.cli.common import EXIT_CONFIG, EXIT_OK, config_errors, err, load_config


def run(args: argparse.Namespace) -> int:
    from sitwatch import config
    from sitwatch.core.kinds import NudgeKind
    from sitwatch.nudging import guidance

    try:
        cfg = load_config(args)
    except config.ConfigError as e:
        return config_errors(e)
    advice = guidance.catalog(cfg.nudges)
    if args.kind:
        adv = advice.get(args.kind)
        if adv is None:
            err(f"unknown kind {args.kind!r}; one of: {', '.join(advice)}")
            return EXIT_CONFIG
        print(adv.titles[0])
        print(f"Why: {adv.why}")
        if not (adv.only_own and adv.own):
            print("What to do:")
            for a in adv.actions:
                print(f"  - {a}")
        own = [(t, a) for t, a in adv.own if t != guidance.STRETCH_TITLE]
        if own:
            print("Your own texts (nudges.texts)" + (", used alone:" if adv.only_own else ":"))
            for title, action in own:
                print(f"  - {title}: {action}")
        if args.kind == NudgeKind.PROLONGED_SITTING:
            print("Stretches for your break:")
            for s in guidance.STRETCHES:
                print(f"  - {s}")
            for s in cfg.nudges.stretches:
                print(f"  - {s} (yours)")
        print()
        print(guidance.care_text())
        return EXIT_OK
    for kind, adv in advice.items():
        mine = f" (+{len(adv.own)} of yours)" if adv.own else ""
        print(f"{kind:<18} {adv.titles[0]}: {adv.actions[0]}{mine}")
    print("\nsitwatch guidance KIND shows the full advice and when to see a doctor.")
    return EXIT_OK
