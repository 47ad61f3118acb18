"""Headless subcommands of the `bertstudio` CLI, one module each (see bertstudio/cli.py)."""
