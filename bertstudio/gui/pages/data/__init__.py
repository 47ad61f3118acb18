"""The Data page: read options and preview, then one tab each for columns, check, labels and lengths,
and split, over the controller's DataImport."""

from bertstudio.gui.pages.data.page import DATA_SUFFIXES, DataPage

__all__ = ["DATA_SUFFIXES", "DataPage"]
