"""``sitwatch eval``: the detectors measured on the public labelled recordings (docs/accuracy.md).

- :mod:`~sitwatch.evaluation.datasets`: each dataset's files -> labelled recordings.
- :mod:`~sitwatch.evaluation.scoring`: one replay through the pipeline, scored against labels.
- :mod:`~sitwatch.evaluation.tuning`: the shipped thresholds beside held-out (leave one person
  out) ones.
- :mod:`~sitwatch.evaluation.variants` and :mod:`~sitwatch.evaluation.robustness`: the same
  sessions changed (seat-only devices, milder postures, other rates, failing sensors), and the
  defaults measured on them.
- :mod:`~sitwatch.evaluation.ethz`, :mod:`~sitwatch.evaluation.technion`,
  :mod:`~sitwatch.evaluation.fsr`, :mod:`~sitwatch.evaluation.camera`: the other datasets' own
  protocols.
- :mod:`~sitwatch.evaluation.naive`: the naive fixed-threshold stand-in every table compares
  with (evaluation only).
- :mod:`~sitwatch.evaluation.population`: the stress test on simulated sitters and devices.
- :mod:`~sitwatch.evaluation.summary`: issue #10's targets against the held-out rows.
- :mod:`~sitwatch.evaluation.report`: all of it as one report, the held-out summary first.
"""
