"""Everything Qt: the application, main window, workers, pages and widgets."""
