"""Sentence encoders: a model folder -> one float32 vector per text, with the folder's own pooling.

Speed comes from spending no work on padding: texts are tokenized a chunk at a time and batched by
token length (longest first), and the encoder runs its dense layers on the real tokens only (packed),
in inference mode. The result is in the caller's order. On the CPU the encoder can instead run as an
ONNX Runtime graph (backend "onnx": the export package's graph of our model, cached on disk), whose
fused kernels are faster there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tokenizers import Encoding, Tokenizer

from bertstudio.embeddings.layout import SentenceLayout, read_layout
from bertstudio.embeddings.pooling import pool
from bertstudio.embeddings.progress import ProgressCallback, StopCheck
from bertstudio.errors import EmbeddingError
from bertstudio.heap import release_freed_memory

BACKENDS = ("auto", "torch", "onnx")
CHUNK_TEXTS = 4096  # texts tokenized (and sorted by length) at a time: bounds memory on huge tables


class EncodingCancelled(EmbeddingError):
    """Encoding was stopped on request before it finished; nothing was written."""


@dataclass
class EncodedChunk:
    """The vectors of consecutive texts, from `start` on, in the caller's order."""

    start: int  # index of the chunk's first text
    vectors: np.ndarray  # (texts in the chunk, dimension) float32
    truncated: list[int]  # indices (among all texts) of the chunk's texts cut at max_length


@dataclass
class EncodeResult:
    """Vectors in the caller's order, and which texts did not fit (by index)."""

    vectors: np.ndarray  # (n, dimension) float32
    truncated: list[int] = field(default_factory=list)  # texts cut at max_length tokens
    empty: list[int] = field(default_factory=list)  # texts with nothing but whitespace


class SentenceEncoder:
    """A loaded sentence encoder. Build it with `load_encoder`."""

    def __init__(
        self,
        *,
        model: torch.nn.Module,
        tokenizer: Tokenizer,
        layout: SentenceLayout,
        max_length: int,
        source: Path,
        onnx_session: Any = None,
    ) -> None:
        self.model = model
        self.onnx_session = onnx_session  # an ONNX Runtime session of the encoder, or None: torch
        self.tokenizer = tokenizer
        self.layout = layout
        self.max_length = max_length
        self.source = source
        self.pad_id = tokenizer.token_to_id("[PAD]") or 0
        self.device = next(model.parameters()).device
        self.hidden_size = int(model.config.hidden_size)

    @property
    def backend(self) -> str:
        return "onnx" if self.onnx_session is not None else "torch"

    @property
    def dimension(self) -> int:
        return self.hidden_size * len(self.layout.pooling)

    def encode(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        normalize: bool | None = None,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> np.ndarray:
        """(len(texts), dimension) float32. normalize None: as the folder declares (2_Normalize)."""
        return self.encode_report(texts, batch_size, normalize, progress, should_stop).vectors

    def encode_report(
        self,
        texts: Sequence[str],
        batch_size: int = 32,
        normalize: bool | None = None,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> EncodeResult:
        """As encode, also saying which texts were truncated or empty."""
        texts = _checked_texts(texts)
        result = EncodeResult(
            vectors=np.empty((len(texts), self.dimension), np.float32),
            empty=[i for i, text in enumerate(texts) if not text.strip()],
        )
        for chunk in self.encode_chunks(texts, CHUNK_TEXTS, batch_size, normalize, progress, should_stop):
            result.vectors[chunk.start : chunk.start + len(chunk.vectors)] = chunk.vectors
            result.truncated += chunk.truncated
        return result

    def encode_chunks(
        self,
        texts: Sequence[str],
        chunk_size: int = CHUNK_TEXTS,
        batch_size: int = 32,
        normalize: bool | None = None,
        progress: ProgressCallback | None = None,
        should_stop: StopCheck | None = None,
    ) -> Iterator[EncodedChunk]:
        """The vectors a chunk of `chunk_size` texts at a time, in order, each yielded as soon as it is
        encoded: a caller that writes them away (the table index) holds one chunk, not the table."""
        texts = _checked_texts(texts)
        if batch_size < 1:
            raise EmbeddingError(f"The batch size must be at least 1 (got {batch_size}).")
        normalize = self.layout.normalize if normalize is None else normalize
        for start in range(0, len(texts), chunk_size):
            chunk = texts[start : start + chunk_size]
            if self.layout.lowercase:
                chunk = [text.lower() for text in chunk]
            encodings = self.tokenizer.encode_batch(chunk)
            vectors = np.empty((len(chunk), self.dimension), np.float32)
            order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
            for offset in range(0, len(order), batch_size):
                if should_stop is not None and should_stop():
                    raise EncodingCancelled("Encoding was cancelled; nothing was saved.")
                rows = order[offset : offset + batch_size]
                vectors[rows] = self._encode_batch([encodings[i] for i in rows], normalize)
                if progress is not None:
                    progress(start + min(offset + batch_size, len(order)), len(texts))
            truncated = [start + i for i, e in enumerate(encodings) if _was_truncated(e, self.max_length)]
            del encodings
            release_freed_memory()  # batches of ever-changing shapes fragment the heap: see heap.py
            yield EncodedChunk(start=start, vectors=vectors, truncated=truncated)

    @torch.inference_mode()
    def _encode_batch(self, encodings: list[Encoding], normalize: bool) -> np.ndarray:
        length = len(encodings[0].ids)  # longest first
        ids = np.full((len(encodings), length), self.pad_id, np.int64)
        mask = np.zeros((len(encodings), length), np.int64)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = encoding.ids
            mask[row, : len(encoding.ids)] = 1
        if self.onnx_session is not None:
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            names = {i.name for i in self.onnx_session.get_inputs()}
            hidden = torch.from_numpy(
                self.onnx_session.run(None, {k: v for k, v in feed.items() if k in names})[0]
            )
            attention_mask = torch.from_numpy(mask)
        else:
            input_ids = torch.from_numpy(ids).to(self.device)
            attention_mask = torch.from_numpy(mask).to(self.device)
            hidden = self.model(input_ids, attention_mask=attention_mask, pack_tokens=True).last_hidden_state
        vectors = pool(hidden.float(), attention_mask, self.layout.pooling)
        if normalize:
            vectors = torch.nn.functional.normalize(vectors, dim=-1)
        return vectors.cpu().numpy()

    def identity(self) -> str:
        """A fingerprint of what decides the vectors: weights (path, size, modification time),
        config, tokenizer, layout and max length. Keys cached indexes."""
        digest = hashlib.sha256()
        digest.update(json.dumps(asdict(self.layout), sort_keys=True).encode())
        digest.update(f"max_length={self.max_length}".encode())
        digest.update(self.tokenizer.to_str().encode())
        digest.update(json.dumps(self.model.config.to_dict(), sort_keys=True, default=str).encode())
        weights = Path(self.model.load_report.weights_file)
        stat = weights.stat()
        digest.update(f"{weights.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
        return digest.hexdigest()


def _checked_texts(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise EmbeddingError("encode() takes a list of texts, not one string.", "Wrap it: encode([text]).")
    texts = list(texts)
    for index, text in enumerate(texts):
        if not isinstance(text, str):
            raise EmbeddingError(
                f"Text {index} is a {type(text).__name__}, not a string ({text!r:.60}).",
                "Pass strings only; turn missing values into '' or leave those rows out.",
            )
    return texts


def _was_truncated(encoding: Encoding, max_length: int) -> bool:
    return len(encoding.ids) >= max_length and bool(encoding.overflowing)


def load_encoder(
    path: str | Path,
    device: str = "cpu",
    max_length: int | None = None,
    backend: str = "auto",
    cache_dir: str | Path | None = None,
) -> SentenceEncoder:
    """A sentence encoder from a model folder (Hugging Face layout, with or without the
    sentence-transformers files). max_length None: the folder's max_seq_length, else the model's limit.
    backend: "torch", "onnx" (CPU, needs the export extra), or "auto" (onnx on the CPU when onnxruntime
    is installed, else torch). The ONNX graph is exported once per model and kept in `cache_dir`
    (default: the embedding cache)."""
    if backend not in BACKENDS:
        raise EmbeddingError(f"Unknown backend {backend!r}.", f"Use one of: {', '.join(BACKENDS)}.")
    from bertstudio.model import load_pretrained
    from bertstudio.model.hub import resolve_model_folder
    from bertstudio.training.device import choose_device

    folder = resolve_model_folder(path)
    layout = read_layout(folder)
    model, tokenizer = load_pretrained(folder / layout.transformer_path, task="base")
    limit = int(model.config.max_position_embeddings)
    chosen = min(max_length or layout.max_seq_length or limit, limit)
    if chosen < 2:
        raise EmbeddingError(f"max_length must be at least 2 tokens (got {max_length}).")
    tokenizer.enable_truncation(max_length=chosen)
    model = model.to(choose_device(device)).eval()
    encoder = SentenceEncoder(
        model=model, tokenizer=tokenizer, layout=layout, max_length=chosen, source=folder
    )
    if backend == "auto":
        backend = "onnx" if encoder.device.type == "cpu" and _has_onnxruntime() else "torch"
    if backend == "onnx":
        if encoder.device.type != "cpu":
            raise EmbeddingError("The ONNX backend runs on the CPU only.", "Use --backend torch on a GPU.")
        encoder.onnx_session = _onnx_session(encoder, cache_dir)
    return encoder


def _has_onnxruntime() -> bool:
    import importlib.util

    return (
        importlib.util.find_spec("onnxruntime") is not None and importlib.util.find_spec("onnx") is not None
    )


def _onnx_session(encoder: SentenceEncoder, cache_dir: str | Path | None):
    """An ONNX Runtime session of the encoder's graph, exported on first use and kept on disk (keyed by
    the model's identity), with as many threads as torch uses."""
    from bertstudio.atomic import atomic_write
    from bertstudio.embeddings.cache import default_cache_dir
    from bertstudio.export.onnx_graph import export_onnx
    from bertstudio.export.runtime import inference_session, require_onnxruntime

    require_onnxruntime()
    graph = Path(cache_dir or default_cache_dir()) / "onnx" / f"{encoder.identity()[:32]}.onnx"
    if not graph.is_file():
        atomic_write(graph, lambda temp: export_onnx(encoder.model, Path(temp)))
    return inference_session(graph, threads=torch.get_num_threads())
