"""Tokenization: load, build, train and save BERT WordPiece tokenizers; encode with offsets."""

from bertstudio.text.encoding import encode
from bertstudio.text.tokenizer import (
    SPECIAL_TOKENS,
    configure,
    from_vocab,
    load_tokenizer,
    max_length_of,
    save_tokenizer,
    special_token_ids,
    token_id,
    train_wordpiece,
)

__all__ = [
    "SPECIAL_TOKENS",
    "configure",
    "encode",
    "from_vocab",
    "load_tokenizer",
    "max_length_of",
    "save_tokenizer",
    "special_token_ids",
    "token_id",
    "train_wordpiece",
]
