"""The model families BERT Studio opens, one module each; importing a module registers its spec."""

from bertstudio.model.families import albert, bert, distilbert, electra, roberta

__all__ = ["albert", "bert", "distilbert", "electra", "roberta"]
