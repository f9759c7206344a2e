"""Events: the closed loop from report to rating (catalog, intake, workflow, clocks, evaluation)."""
