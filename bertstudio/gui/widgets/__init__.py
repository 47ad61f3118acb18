"""Reusable Qt widgets: tables, plots, charts, log panel."""
