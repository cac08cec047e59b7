"""sitwatch: watch how you sit, nudge you at the right moment.

Data flows one way: sources -> frames -> features -> detectors -> events -> sinks.
See README.md ("How it works") for the map of modules.
"""

__version__ = "0.1.0"
