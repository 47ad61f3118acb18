"""Tokenization: load, build, train and save the families' tokenizers (WordPiece, byte-level BPE,
Unigram); special tokens by role; encode with offsets."""

from bertstudio.text.encoding import encode
from bertstudio.text.tokenizer import (
    SPECIAL_ROLES,
    SPECIAL_TOKENS,
    configure,
    from_vocab,
    load_tokenizer,
    max_length_of,
    save_tokenizer,
    special_token,
    special_token_id,
    special_token_ids,
    token_id,
    train_wordpiece,
    word_continuation,
)

__all__ = [
    "SPECIAL_ROLES",
    "SPECIAL_TOKENS",
    "configure",
    "encode",
    "from_vocab",
    "load_tokenizer",
    "max_length_of",
    "save_tokenizer",
    "special_token",
    "special_token_id",
    "special_token_ids",
    "token_id",
    "train_wordpiece",
    "word_continuation",
]
