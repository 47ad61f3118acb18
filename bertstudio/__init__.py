"""BERT Studio: a desktop workbench for BERT-family encoders.

Importing this package is cheap on purpose: torch, tokenizers and Qt load only when a
submodule that needs them is imported, so the window appears fast.
"""

__version__ = "0.1.0"
