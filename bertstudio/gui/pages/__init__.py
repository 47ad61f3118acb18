"""The workbench pages: Model, Data, Train, Evaluate, Inspect, Runs."""
