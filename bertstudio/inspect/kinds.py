"""Which model tasks each probe applies to (kept free of torch so the window can ask cheaply)."""

MASKED_LM_TASKS = ("masked_lm", "pretraining")
SEQUENCE_TASKS = ("classification", "multi_label", "regression")
