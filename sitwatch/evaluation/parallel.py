"""The evaluation's independent replays spread over the machine's cores.

A threshold search replays the same recordings at dozens of grid points, and the population
stress test hundreds of sitters; each replay stands alone, so :func:`pmap` hands them to worker
processes (as many as ``$SITWATCH_EVAL_JOBS``, else the cores this process may use) and returns
the results in order. The figures are the same with one worker or many.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def jobs() -> int:
    """Worker processes to use: ``$SITWATCH_EVAL_JOBS`` (1: none), else the usable cores."""
    env = os.environ.get("SITWATCH_EVAL_JOBS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            return 1
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def pmap(fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
    """``[fn(x) for x in items]``, on worker processes when there are several cores and items.
    ``fn`` and the items must pickle (a module-level function, plain data)."""
    todo = list(items)
    n = min(jobs(), len(todo))
    if n <= 1:
        return [fn(x) for x in todo]
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods()
                                      else "spawn")
    with ProcessPoolExecutor(n, mp_context=ctx) as ex:
        return list(ex.map(fn, todo, chunksize=math.ceil(len(todo) / n)))
