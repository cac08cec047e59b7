"""Sources: where frames come from (a serial cushion, a recording, the simulator)."""
