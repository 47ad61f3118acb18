"""Tokenizers of the BERT family on the `tokenizers` library: load, build from vocabulary files, train, save.

Every function returns or takes a plain `tokenizers.Tokenizer` whose post-processor adds the family's
special tokens (BERT: [CLS] A [SEP] B [SEP] with token types; RoBERTa: <s> A </s></s> B </s>). Special
tokens are looked up by role (`special_token(tokenizer, "mask")`), never assumed. Padding is never baked
in: it is decided per use (dynamic per batch for training, none for one example under inspection).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import BPE, WordPiece
from tokenizers.trainers import WordPieceTrainer

from bertstudio.atomic import atomic_write_text
from bertstudio.errors import TokenizerError

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")  # what a BERT WordPiece vocabulary holds
# The spellings each role has across the families (BERT / ALBERT's [..], RoBERTa / XLM-R's <..>).
SPECIAL_ROLES: dict[str, tuple[str, ...]] = {
    "pad": ("[PAD]", "<pad>"),
    "unk": ("[UNK]", "<unk>"),
    "cls": ("[CLS]", "<s>"),
    "sep": ("[SEP]", "</s>"),
    "mask": ("[MASK]", "<mask>"),
}
DEFAULT_MAX_LENGTH = 512


def token_id(tokenizer: Tokenizer, token: str) -> int:
    """The id of a token, looked up (never assumed); TokenizerError if the vocabulary lacks it."""
    index = tokenizer.token_to_id(token)
    if index is None:
        raise TokenizerError(f"The tokenizer has no {token} token.")
    return index


def special_token(tokenizer: Tokenizer, role: str) -> str:
    """The tokenizer's own token for a role ('pad', 'unk', 'cls', 'sep', 'mask'): [MASK] for BERT,
    <mask> for RoBERTa. TokenizerError if its vocabulary has none."""
    for token in SPECIAL_ROLES[role]:
        if tokenizer.token_to_id(token) is not None:
            return token
    raise TokenizerError(
        f"The tokenizer has no {role} token (looked for {' or '.join(SPECIAL_ROLES[role])}).",
        "Use the tokenizer that came with the model: its vocabulary defines the special tokens.",
    )


def special_token_id(tokenizer: Tokenizer, role: str) -> int:
    return token_id(tokenizer, special_token(tokenizer, role))


def special_token_ids(tokenizer: Tokenizer) -> dict[str, int]:
    """Ids of the special tokens by role ('pad', 'unk', 'cls', 'sep', 'mask')."""
    return {role: special_token_id(tokenizer, role) for role in SPECIAL_ROLES}


def word_continuation(tokenizer: Tokenizer) -> Callable[[str], bool]:
    """Whether a vocabulary piece continues the word before it, the tokenizer's way: WordPiece's `##`
    prefix, or a piece without the word-start mark of a byte-level (`Ġ`) or SentencePiece (`▁`) model."""
    spec = json.loads(tokenizer.to_str())
    prefix = (spec.get("model") or {}).get("continuing_subword_prefix")
    if spec["model"]["type"] == "WordPiece" and prefix:
        return lambda piece: piece.startswith(prefix)
    mark = _word_start_mark(spec.get("pre_tokenizer"))
    if mark is None:
        return lambda piece: False
    return lambda piece: not piece.startswith(mark)


def _word_start_mark(pre_tokenizer: dict | None) -> str | None:
    if not pre_tokenizer:
        return None
    kind = pre_tokenizer.get("type")
    if kind == "ByteLevel":
        return "Ġ"
    if kind == "Metaspace":
        return pre_tokenizer.get("replacement", "▁")
    if kind == "Sequence":
        marks = [_word_start_mark(part) for part in pre_tokenizer.get("pretokenizers", [])]
        return next((mark for mark in marks if mark), None)
    return None


def _set_bert_post_processor(tokenizer: Tokenizer) -> None:
    """BERT's template ([CLS] A [SEP] B [SEP], types 0 / 1), or RoBERTa's (<s> A </s></s> B </s>) for a
    vocabulary whose separators are <s> and </s>."""
    cls, sep = special_token(tokenizer, "cls"), special_token(tokenizer, "sep")
    cls_id, sep_id = token_id(tokenizer, cls), token_id(tokenizer, sep)
    if cls == "<s>":
        tokenizer.post_processor = processors.RobertaProcessing((sep, sep_id), (cls, cls_id))
        return
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{cls} $A:0 {sep}:0",
        pair=f"{cls} $A:0 {sep}:0 $B:1 {sep}:1",
        special_tokens=[(cls, cls_id), (sep, sep_id)],
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
    """Load the tokenizer of a model folder: tokenizer.json if present (any kind), else the family's
    vocabulary files: vocab.txt (WordPiece, casing from tokenizer_config.json or guessed from the
    vocabulary), vocab.json + merges.txt (byte-level BPE) or a SentencePiece model (DeBERTa's spm.model,
    XLM-R's sentencepiece.bpe.model, ALBERT's spiece.model, converted here). Truncates to `max_length`, else to the
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
        _drop_sentencepiece_edge_spaces(tokenizer)
        return configure(tokenizer, max_length)
    if vocab_txt.is_file():
        vocab = read_vocab_file(vocab_txt)
        lowercase = settings.get("do_lower_case")
        if lowercase is None:
            lowercase = _guess_lowercase(vocab)
        return from_vocab(vocab, bool(lowercase), settings.get("strip_accents"), max_length)
    if (folder / "vocab.json").is_file() and (folder / "merges.txt").is_file():
        return from_byte_level_bpe(folder / "vocab.json", folder / "merges.txt", max_length)
    sentencepiece = [name for name in SENTENCEPIECE_FILES if (folder / name).is_file()]
    if sentencepiece:
        from bertstudio.text.sentencepiece import tokenizer_from_sentencepiece

        return configure(tokenizer_from_sentencepiece(folder / sentencepiece[0], settings), max_length)
    raise TokenizerError(
        "No tokenizer found: the folder has neither tokenizer.json nor vocab.txt "
        "(nor vocab.json with merges.txt).",
        "Copy the tokenizer files of the checkpoint into the folder.",
        path=folder,
    )


SENTENCEPIECE_FILES = ("sentencepiece.bpe.model", "spiece.model", "spm.model")


def _drop_sentencepiece_edge_spaces(tokenizer: Tokenizer) -> None:
    """SentencePiece drops leading, trailing and repeated whitespace; a tokenizer.json converted from one
    with a bare Metaspace pre-tokenizer (XLM-R's, ALBERT's) would instead end "text  " with a lone "▁"
    piece. Splitting on whitespace first, as transformers does for these tokenizers, restores SentencePiece's
    behaviour."""
    spec = json.loads(tokenizer.to_str())
    if spec["model"]["type"] == "Unigram" and (spec.get("pre_tokenizer") or {}).get("type") == "Metaspace":
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [pre_tokenizers.WhitespaceSplit(), tokenizer.pre_tokenizer]
        )


def from_byte_level_bpe(
    vocab_json: Path, merges_txt: Path, max_length: int | None = DEFAULT_MAX_LENGTH
) -> Tokenizer:
    """A RoBERTa byte-level BPE tokenizer from vocab.json and merges.txt (as RobertaTokenizerFast builds it)."""
    try:
        model = BPE.from_file(str(vocab_json), str(merges_txt))
    except Exception as exc:  # the Rust side raises a bare Exception with its parse error
        raise TokenizerError(f"vocab.json / merges.txt cannot be read: {exc}", path=vocab_json) from None
    tokenizer = Tokenizer(model)
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    vocab = tokenizer.get_vocab()
    tokenizer.add_special_tokens([t for names in SPECIAL_ROLES.values() for t in names if t in vocab])
    tokenizer.post_processor = processors.RobertaProcessing(
        ("</s>", special_token_id(tokenizer, "sep")),
        ("<s>", special_token_id(tokenizer, "cls")),
        trim_offsets=True,
    )
    return configure(tokenizer, max_length)


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


def save_tokenizer(
    tokenizer: Tokenizer, folder: str | Path, model_max_length: int, tokenizer_class: str = "BertTokenizer"
) -> None:
    """Write tokenizer.json, tokenizer_config.json (naming the family's tokenizer class) and
    special_tokens_map.json, plus vocab.txt for a WordPiece vocabulary."""
    folder = Path(folder)
    special = {
        f"{role}_token": special_token(tokenizer, role) for role in SPECIAL_ROLES
    }  # fail before writing
    if special["cls_token"] == "<s>":
        special.update(bos_token="<s>", eos_token="</s>")
    unpadded = Tokenizer.from_str(tokenizer.to_str())
    unpadded.no_padding()
    unpadded.no_truncation()
    atomic_write_text(folder / "tokenizer.json", unpadded.to_str(pretty=True))
    if json.loads(unpadded.to_str())["model"]["type"] == "WordPiece":
        by_id = sorted(tokenizer.get_vocab(with_added_tokens=True).items(), key=lambda item: item[1])
        atomic_write_text(folder / "vocab.txt", "".join(token + "\n" for token, _ in by_id))
    settings = {
        "tokenizer_class": tokenizer_class,
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
