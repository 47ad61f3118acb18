"""SentencePiece model files (DeBERTa's `spm.model`, XLM-R's `sentencepiece.bpe.model`, ALBERT's
`spiece.model`) turned into the equivalent `tokenizers` Tokenizer, offline and without the sentencepiece
library: a small reader of the ModelProto fields that matter (pieces, scores, types, the unknown piece,
the normalisation charsmap), then the family's tokenizer built the way its tokenizer.json is converted."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tokenizers import AddedToken, Regex, Tokenizer, decoders, normalizers, pre_tokenizers, processors
from tokenizers.models import Unigram

from bertstudio.errors import TokenizerError

NORMAL, UNKNOWN, CONTROL, USER_DEFINED = 1, 2, 3, 4
UNIGRAM_MODEL = 1
# which family's conversion a file gets when tokenizer_config.json names no tokenizer class
CLASS_OF_FILE = {
    "spm.model": "DebertaV2Tokenizer",
    "sentencepiece.bpe.model": "XLMRobertaTokenizer",
    "spiece.model": "AlbertTokenizer",
}


@dataclass(frozen=True)
class Piece:
    text: str
    score: float
    kind: int  # NORMAL, UNKNOWN, CONTROL, USER_DEFINED, ...


@dataclass(frozen=True)
class SentencePieceModel:
    pieces: list[Piece]
    model_type: int  # 1 Unigram, 2 BPE, 3 word, 4 char
    unk_id: int
    precompiled_charsmap: bytes  # the normalisation rules compiled into the file (empty: none)


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7


def _fields(data: bytes) -> Iterator[tuple[int, int | bytes | float]]:
    """(field number, value) of a protobuf message: varints as int, 32-bit values as float, length-
    delimited ones as bytes (64-bit values skipped: none of the fields read here has that type)."""
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, position = _varint(data, position)
        elif wire == 1:
            value, position = None, position + 8
        elif wire == 2:
            length, position = _varint(data, position)
            value, position = data[position : position + length], position + length
        elif wire == 5:
            value, position = struct.unpack("<f", data[position : position + 4])[0], position + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        if position > len(data):
            raise ValueError(f"the file ends inside field {number}: it is truncated")
        if value is not None:
            yield number, value


def read_model(path: Path) -> SentencePieceModel:
    """The pieces and settings of a SentencePiece ModelProto file; TokenizerError when it is not one."""
    try:
        data = path.read_bytes()
        pieces: list[Piece] = []
        model_type, unk_id, charsmap = UNIGRAM_MODEL, 0, b""
        for number, value in _fields(data):
            if number == 1:  # SentencePiece: piece = 1, score = 2, type = 3
                piece = dict(_fields(value))
                pieces.append(
                    Piece(
                        text=piece.get(1, b"").decode("utf-8"),
                        score=float(piece.get(2, 0.0)),
                        kind=int(piece.get(3, NORMAL)),
                    )
                )
            elif number == 2:  # TrainerSpec: model_type = 3, unk_id = 40
                trainer = dict(_fields(value))
                model_type, unk_id = int(trainer.get(3, UNIGRAM_MODEL)), int(trainer.get(40, 0))
            elif number == 3:  # NormalizerSpec: precompiled_charsmap = 2
                charsmap = bytes(dict(_fields(value)).get(2, b""))
    except (OSError, ValueError, IndexError, UnicodeDecodeError, struct.error) as exc:
        raise TokenizerError(
            f"The SentencePiece model cannot be read ({exc}).",
            "Copy the checkpoint's tokenizer files again (or its tokenizer.json, which is read first).",
            path=path,
        ) from None
    if not pieces:
        raise TokenizerError(
            "The SentencePiece model holds no pieces.",
            "Copy the checkpoint's tokenizer files again (or its tokenizer.json, which is read first).",
            path=path,
        )
    return SentencePieceModel(
        pieces=pieces, model_type=model_type, unk_id=unk_id, precompiled_charsmap=charsmap
    )


def _keeps_score(piece: str) -> bool:
    """ALBERT's converter demotes pieces ending in a digit and a comma ("1,"), as its tokenizer splits them."""
    return len(piece) < 2 or piece[-1] != "," or not piece[-2].isdigit()


def tokenizer_from_sentencepiece(path: Path, settings: dict[str, Any]) -> Tokenizer:
    """The tokenizer of a SentencePiece model file, for the family that tokenizer_config.json's
    tokenizer_class names (else the one the file name belongs to): DeBERTa-v2/v3, XLM-R or ALBERT."""
    model = read_model(path)
    if model.model_type != UNIGRAM_MODEL:
        raise TokenizerError(
            f"The SentencePiece model is not a Unigram model (model_type {model.model_type}).",
            "BERT Studio converts the Unigram models of DeBERTa, XLM-R and ALBERT; copy the checkpoint's "
            "tokenizer.json into the folder instead.",
            path=path,
        )
    tokenizer_class = str(settings.get("tokenizer_class") or CLASS_OF_FILE.get(path.name, ""))
    tokenizer_class = tokenizer_class.removesuffix("Fast")
    charsmap = [normalizers.Precompiled(model.precompiled_charsmap)] if model.precompiled_charsmap else []
    vocab = [(piece.text, piece.score) for piece in model.pieces]
    unk_id = model.unk_id
    if tokenizer_class == "XLMRobertaTokenizer":
        # fairseq's ids: <s> <pad> </s> <unk>, the pieces after SentencePiece's own first three, <mask>
        vocab = [("<s>", 0.0), ("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), *vocab[3:], ("<mask>", 0.0)]
        unk_id = 3
        rules = [
            *charsmap,
            normalizers.Strip(left=False, right=True),
            normalizers.Replace(Regex(" {2,}"), "▁"),
        ]
        template = ("<s> $A </s>", "<s> $A </s> </s> $B </s>", ("<s>", "</s>"))
    elif tokenizer_class == "AlbertTokenizer":
        vocab = [(text, score if _keeps_score(text) else score - 100) for text, score in vocab]
        rules = [normalizers.Replace("``", '"'), normalizers.Replace("''", '"')]
        if not settings.get("keep_accents", False):
            rules += [normalizers.NFKD(), normalizers.StripAccents()]
        if settings.get("do_lower_case", True):
            rules.append(normalizers.Lowercase())
        rules += [*charsmap, normalizers.Replace(Regex(" {2,}"), " ")]
        template = ("[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", ("[CLS]", "[SEP]"))
    elif tokenizer_class == "DebertaV2Tokenizer":
        rules = [normalizers.Lowercase()] if settings.get("do_lower_case", False) else []
        rules += [normalizers.Strip(), *charsmap, normalizers.Replace(Regex(" {2,}"), " ")]
        template = ("[CLS]:0 $A:0 [SEP]:0", "[CLS]:0 $A:0 [SEP]:0 $B:1 [SEP]:1", ("[CLS]", "[SEP]"))
    else:
        raise TokenizerError(
            f"BERT Studio does not know how the {tokenizer_class or 'unnamed'} tokenizer reads a SentencePiece model.",
            "Copy the checkpoint's tokenizer.json into the folder (the model's hub page has one).",
            path=path,
        )
    tokenizer = Tokenizer(Unigram(vocab, unk_id=unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence(rules)
    splitters = [pre_tokenizers.WhitespaceSplit()]  # SentencePiece drops edge and repeated whitespace
    if tokenizer_class == "DebertaV2Tokenizer" and settings.get("split_by_punct", False):
        splitters.append(pre_tokenizers.Punctuation(behavior="isolated"))
    splitters.append(pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always"))
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(splitters)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    specials = [piece for piece in model.pieces if piece.kind in (CONTROL, USER_DEFINED)]
    tokenizer.add_tokens(
        [AddedToken(piece.text, normalized=False, special=piece.kind == CONTROL) for piece in specials]
    )
    mask = str(
        settings.get("mask_token") or ("<mask>" if tokenizer_class == "XLMRobertaTokenizer" else "[MASK]")
    )
    if isinstance(settings.get("mask_token"), dict):
        mask = settings["mask_token"].get("content", mask)
    tokenizer.add_special_tokens([AddedToken(mask, normalized=False, special=True)])
    single, pair, (first, last) = template
    missing = [token for token in (first, last) if tokenizer.token_to_id(token) is None]
    if missing:
        raise TokenizerError(
            f"The SentencePiece model has no {' or '.join(missing)} piece, which {tokenizer_class} puts around "
            "every text.",
            "Copy the checkpoint's tokenizer.json into the folder (the model's hub page has one).",
            path=path,
        )
    tokenizer.post_processor = processors.TemplateProcessing(
        single=single,
        pair=pair,
        special_tokens=[(first, tokenizer.token_to_id(first)), (last, tokenizer.token_to_id(last))],
    )
    return tokenizer
