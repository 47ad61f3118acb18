"""BERT tokenizers on the `tokenizers` library: load, build from a vocabulary, train, save.

Every function returns or takes a plain `tokenizers.Tokenizer` with BERT post-processing
([CLS] A [SEP] B [SEP], token type ids). Padding is never baked in: it is decided per use
(dynamic per batch for training, none for one example under inspection).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import WordPiece
from tokenizers.trainers import WordPieceTrainer

from bertstudio.atomic import atomic_write_text
from bertstudio.errors import TokenizerError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")
DEFAULT_MAX_LENGTH = 512


def token_id(tokenizer: Tokenizer, token: str) -> int:
    """The id of a special token, looked up (never assumed); TokenizerError if the vocabulary lacks it."""
    index = tokenizer.token_to_id(token)
    if index is None:
        raise TokenizerError(
            f"The tokenizer has no {token} token.",
            "Use a BERT vocabulary that defines [PAD], [UNK], [CLS], [SEP] and [MASK].",
        )
    return index


def special_token_ids(tokenizer: Tokenizer) -> dict[str, int]:
    """Ids of [PAD] [UNK] [CLS] [SEP] [MASK] by name ('pad', 'unk', 'cls', 'sep', 'mask')."""
    return {token.strip("[]").lower(): token_id(tokenizer, token) for token in SPECIAL_TOKENS}


def _set_bert_post_processor(tokenizer: Tokenizer) -> None:
    cls_id, sep_id = token_id(tokenizer, "[CLS]"), token_id(tokenizer, "[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A:0 [SEP]:0",
        pair="[CLS] $A:0 [SEP]:0 $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)],
    )


def _bert_normalizer(lowercase: bool, strip_accents: bool | None) -> normalizers.Normalizer:
    return normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=strip_accents, lowercase=lowercase
    )


def configure(tokenizer: Tokenizer, max_length: int | None = DEFAULT_MAX_LENGTH) -> Tokenizer:
    """Drop any fixed padding a tokenizer file carries and truncate to `max_length` (None: no limit)."""
    tokenizer.no_padding()
    if max_length:
        tokenizer.enable_truncation(max_length=max_length)
    else:
        tokenizer.no_truncation()
    return tokenizer


def max_length_of(tokenizer: Tokenizer) -> int | None:
    """The truncation length a tokenizer is set to, or None."""
    truncation = tokenizer.truncation
    return truncation["max_length"] if truncation else None


def from_vocab(
    vocab: dict[str, int] | str | Path,
    lowercase: bool = True,
    strip_accents: bool | None = None,
    max_length: int | None = DEFAULT_MAX_LENGTH,
) -> Tokenizer:
    """A BERT WordPiece tokenizer built from a vocabulary (a vocab.txt path or a token -> id dict)."""
    if not isinstance(vocab, dict):
        vocab = read_vocab_file(Path(vocab))
    if "[UNK]" not in vocab:
        raise TokenizerError("The vocabulary has no [UNK] token.", "A BERT vocab.txt lists [UNK].")
    tokenizer = Tokenizer(WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = _bert_normalizer(lowercase, strip_accents)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    # Special tokens typed in text ("Paris is the [MASK] of France.") stay whole, as in BertTokenizerFast.
    tokenizer.add_special_tokens([token for token in SPECIAL_TOKENS if token in vocab])
    _set_bert_post_processor(tokenizer)
    return configure(tokenizer, max_length)


def read_vocab_file(path: Path) -> dict[str, int]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise TokenizerError("vocab.txt is missing.", path=path) from None
    except UnicodeDecodeError as exc:
        raise TokenizerError(f"vocab.txt is not UTF-8 text (byte {exc.start}).", path=path) from None
    vocab: dict[str, int] = {}
    for index, token in enumerate(lines):
        vocab.setdefault(token, index)
    if not vocab:
        raise TokenizerError("vocab.txt is empty.", path=path)
    return vocab


def _guess_lowercase(vocab: dict[str, int]) -> bool:
    """Without tokenizer_config.json, an uncased vocabulary is one with no upper-case Latin word pieces
    (uncased vocabularies still hold a few symbols such as 'ℝ' that Python calls upper case)."""
    return not any(any("A" <= c <= "Z" for c in token) for token in vocab if token not in SPECIAL_TOKENS)


def load_tokenizer(folder: str | Path, max_length: int | None = None) -> Tokenizer:
    """Load the tokenizer of a model folder: tokenizer.json if present, else vocab.txt with the casing
    from tokenizer_config.json (or guessed from the vocabulary). Truncates to `max_length`, else to the
    folder's model_max_length (capped at the model's positions by the caller), else 512."""
    folder = Path(folder)
    settings = _read_tokenizer_config(folder)
    if max_length is None:
        declared = settings.get("model_max_length")
        max_length = declared if isinstance(declared, int) and 0 < declared <= 100_000 else DEFAULT_MAX_LENGTH
    tokenizer_json = folder / "tokenizer.json"
    vocab_txt = folder / "vocab.txt"
    if tokenizer_json.is_file():
        try:
            tokenizer = Tokenizer.from_file(str(tokenizer_json))
        except Exception as exc:  # the Rust side raises a bare Exception with its parse error
            raise TokenizerError(f"tokenizer.json cannot be read: {exc}", path=tokenizer_json) from None
        if tokenizer.post_processor is None:
            _set_bert_post_processor(tokenizer)
        return configure(tokenizer, max_length)
    if vocab_txt.is_file():
        vocab = read_vocab_file(vocab_txt)
        lowercase = settings.get("do_lower_case")
        if lowercase is None:
            lowercase = _guess_lowercase(vocab)
        return from_vocab(vocab, bool(lowercase), settings.get("strip_accents"), max_length)
    raise TokenizerError(
        "No tokenizer found: the folder has neither tokenizer.json nor vocab.txt.",
        "Copy the tokenizer files of the checkpoint into the folder.",
        path=folder,
    )


def _read_tokenizer_config(folder: Path) -> dict:
    path = folder / "tokenizer_config.json"
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TokenizerError(
            f"tokenizer_config.json is not valid JSON ({exc}).",
            "Fix the file at that line, or delete it (lower-casing is then guessed from the vocabulary).",
            path=path,
        ) from None
    return data if isinstance(data, dict) else {}


def is_lowercase(tokenizer: Tokenizer) -> bool:
    """Whether the tokenizer's normalizer lower-cases (looked for inside a normalizer sequence too)."""
    normalizer = tokenizer.normalizer
    if normalizer is None:
        return False
    if hasattr(normalizer, "lowercase"):
        return bool(normalizer.lowercase)
    return normalizer.normalize_str("A") == "a"


def save_tokenizer(tokenizer: Tokenizer, folder: str | Path, model_max_length: int) -> None:
    """Write tokenizer.json, vocab.txt, tokenizer_config.json and special_tokens_map.json."""
    folder = Path(folder)
    special_token_ids(tokenizer)  # fail before writing if a special token is missing
    unpadded = Tokenizer.from_str(tokenizer.to_str())
    unpadded.no_padding()
    unpadded.no_truncation()
    atomic_write_text(folder / "tokenizer.json", unpadded.to_str(pretty=True))
    by_id = sorted(tokenizer.get_vocab(with_added_tokens=True).items(), key=lambda item: item[1])
    atomic_write_text(folder / "vocab.txt", "".join(token + "\n" for token, _ in by_id))
    special = {f"{t.strip('[]').lower()}_token": t for t in SPECIAL_TOKENS}
    settings = {
        "tokenizer_class": "BertTokenizer",
        "do_lower_case": is_lowercase(tokenizer),
        "model_max_length": model_max_length,
        **special,
    }
    atomic_write_text(folder / "tokenizer_config.json", json.dumps(settings, indent=2))
    atomic_write_text(folder / "special_tokens_map.json", json.dumps(special, indent=2))


def train_wordpiece(
    texts: Iterable[str],
    vocab_size: int = 30522,
    min_frequency: int = 2,
    lowercase: bool = True,
    max_length: int | None = DEFAULT_MAX_LENGTH,
) -> Tokenizer:
    """Train a BERT WordPiece tokenizer on an iterator of texts (streamed, never all in memory)."""
    tokenizer = Tokenizer(WordPiece(unk_token="[UNK]", max_input_chars_per_word=100))
    tokenizer.normalizer = _bert_normalizer(lowercase, None)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece(prefix="##")
    trainer = WordPieceTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        continuing_subword_prefix="##",
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    if tokenizer.get_vocab_size() <= len(SPECIAL_TOKENS):
        raise TokenizerError("The corpus produced no vocabulary.", "Train on a corpus with text in it.")
    _set_bert_post_processor(tokenizer)
    return configure(tokenizer, max_length)
