"""Review from the window: verdicts and box corrections, written to the run's trail off the GUI thread."""
