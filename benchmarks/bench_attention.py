"""Attention inspection speed at 512 tokens on a 12-layer, 12-head (BERT-base) model.

Measured side by side in one process (runs alternate, medians printed):
  1. `bertstudio.inspect.attention` (all 144 maps as numpy) against the plain forward pass (fast SDPA
     attention, no maps) of the same model on the same 512 tokens: target ratio <= 1.3;
  2. heatmap redraw when stepping layer / head (target < 50 ms);
  3. the 144-thumbnail model view (target < 500 ms);
  4. how long the GUI event loop stalls while the page computes attention in the background.

    python benchmarks/bench_attention.py                   # base preset, random weights, 512 tokens
    python benchmarks/bench_attention.py --tokens 256 --repeats 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import torch  # noqa: E402

from bertstudio.inspect import attention  # noqa: E402
from bertstudio.inspect.batching import padded_inputs  # noqa: E402
from bertstudio.model import BertConfig, build_model  # noqa: E402
from bertstudio.text import encode, from_vocab  # noqa: E402

WORDS = "the a movie film was is good bad story plot actor city river house music".split()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tokens", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    return parser.parse_args()


def make_model_and_text(tokens: int):
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *WORDS]
    tokenizer = from_vocab({t: i for i, t in enumerate(vocab)}, max_length=tokens)
    config = BertConfig.preset("base", vocab_size=len(vocab))
    torch.manual_seed(0)
    model = build_model(config, "base").eval()
    text = " ".join(WORDS[i % len(WORDS)] for i in range(tokens * 2))  # truncated to `tokens`
    return model, tokenizer, text


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def bench_core(model, tokenizer, text: str, repeats: int):
    inputs = padded_inputs(encode(tokenizer, [text]), 0, torch.device("cpu"))

    def plain() -> None:
        with torch.inference_mode():
            model(**inputs)

    def maps() -> object:
        return attention(model, tokenizer, text)

    plain(), maps()  # warm-up
    times = {"plain": [], "maps": []}
    result = None
    for repeat in range(repeats):
        order = (("plain", plain), ("maps", maps)) if repeat % 2 == 0 else (("maps", maps), ("plain", plain))
        for name, run in order:
            start = time.perf_counter()
            value = run()
            times[name].append(time.perf_counter() - start)
            result = value if name == "maps" else result
    return result, median_ms(times["plain"]), median_ms(times["maps"])


def bench_gui(maps, repeats: int) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from bertstudio.gui.widgets.attention_explorer import MODEL_VIEW, AttentionExplorer

    app = QApplication.instance() or QApplication(sys.argv)
    explorer = AttentionExplorer()
    explorer.resize(1400, 1000)
    explorer.show()
    explorer.set_maps(maps)
    app.processEvents()

    def redraw(change) -> float:
        """The update and one synchronous paint of the heatmap (the queued repaint is flushed untimed)."""
        start = time.perf_counter()
        change()
        explorer.heatmap.graphics.viewport().repaint()
        elapsed = time.perf_counter() - start
        app.processEvents()
        return elapsed

    layer_steps, head_steps, grid = [], [], []
    for _ in range(repeats * 4):
        layer_steps.append(redraw(lambda: explorer.step(1, 0)))
        head_steps.append(redraw(lambda: explorer.step(0, 1)))
    for _ in range(repeats):
        explorer.views.setCurrentIndex(0)
        app.processEvents()
        start = time.perf_counter()
        explorer.views.setCurrentIndex(MODEL_VIEW)
        explorer.model_view.repaint()
        grid.append(time.perf_counter() - start)
        app.processEvents()
    assert explorer.model_view.layers * explorer.model_view.heads == maps.num_layers * maps.num_heads
    return {
        "layer": median_ms(layer_steps),
        "layer_max": max(layer_steps) * 1000,
        "head": median_ms(head_steps),
        "head_max": max(head_steps) * 1000,
        "grid": median_ms(grid),
        "grid_max": max(grid) * 1000,
    }


def bench_responsiveness(model, tokenizer, text: str) -> tuple[float, float]:
    """The longest gap between 10 ms timer ticks while attention is computed in the background."""
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from bertstudio.gui.widgets.attention_worker import LatestJobs
    from bertstudio.gui.workers import BackgroundJob

    app = QApplication.instance()
    jobs = LatestJobs()
    clock, gaps, last = QElapsedTimer(), [], [0]
    loop = QEventLoop()
    clock.start()

    def tick() -> None:
        now = clock.elapsed()
        gaps.append(now - last[0])
        last[0] = now

    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(tick)
    timer.start()
    started = time.perf_counter()
    jobs.submit(
        "attention",
        lambda job: attention(model, tokenizer, text),
        lambda _: loop.quit(),
        lambda e: loop.quit(),
    )
    loop.exec()
    elapsed = time.perf_counter() - started
    timer.stop()
    BackgroundJob.wait_all()
    app.processEvents()
    return max(gaps[1:], default=0.0), elapsed * 1000


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    model, tokenizer, text = make_model_and_text(args.tokens)
    maps, plain_ms, maps_ms = bench_core(model, tokenizer, text, args.repeats)
    layers, heads, seq, _ = maps.maps.shape
    print(
        f"model: {layers} layers x {heads} heads, hidden {model.config.hidden_size}; {seq} tokens; "
        f"torch threads {torch.get_num_threads()}; {args.repeats} repeats (medians)"
    )
    print(f"plain forward (SDPA, no maps)      {plain_ms:8.1f} ms")
    print(
        f"inspect.attention (all maps, numpy) {maps_ms:7.1f} ms   ratio {maps_ms / plain_ms:.2f} (target <= 1.3)"
    )
    gui = bench_gui(maps, args.repeats)
    print(
        f"heatmap redraw, next layer          {gui['layer']:7.1f} ms   (max {gui['layer_max']:.1f}; target < 50)"
    )
    print(
        f"heatmap redraw, next head           {gui['head']:7.1f} ms   (max {gui['head_max']:.1f}; target < 50)"
    )
    print(
        f"model view, {layers * heads} thumbnails           {gui['grid']:7.1f} ms   (max {gui['grid_max']:.1f}; target < 500)"
    )
    stall, total = bench_responsiveness(model, tokenizer, text)
    print(
        f"GUI event loop: longest stall {stall:.0f} ms while attention ran {total:.0f} ms in the background"
    )


if __name__ == "__main__":
    main()
