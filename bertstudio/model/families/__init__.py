"""The model families BERT Studio opens, one module each; importing a module registers its spec."""

from bertstudio.model.families import albert, bert, deberta_v2, distilbert, electra, modernbert, roberta

__all__ = ["albert", "bert", "deberta_v2", "distilbert", "electra", "modernbert", "roberta"]
