"""Which model heads each probe applies to (read from the task registry, free of torch so the window
can ask cheaply). These are model head names (bertstudio.model), not run task names."""

from bertstudio.tasks import masked_lm_heads, sequence_heads

MASKED_LM_HEADS = masked_lm_heads()  # masked-LM, with or without next-sentence prediction
SEQUENCE_HEADS = sequence_heads()  # one output per text: classification, multi-label, regression
