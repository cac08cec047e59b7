"""The virtual cushion: a simulated sitter for ``sitwatch simulate``, the demo and the tests.

- :mod:`~sitwatch.sim.body`: a sitter's posture, lean and wallet -> the load on every channel.
- :mod:`~sitwatch.sim.script`: scripted days (segments of body states) with their ground truth.
- :mod:`~sitwatch.sim.simulator`: a script -> frames (noise, breathing, fidgets, ramps), and
  recording files.
- :mod:`~sitwatch.sim.pty`: the frames on a pseudo-terminal, with garbage and unplugs;
  ``sitwatch simulate``.
"""
