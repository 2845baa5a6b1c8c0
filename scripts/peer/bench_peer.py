"""Times the original PyTorch ModuleFormer (IBM/ModuleFormer) on the shapes `modsvc bench` uses.

    python3 bench_peer.py --reference DIR --config peer.json [--threads 2] [--runs 3] [--seed 1234]

DIR is a checkout of IBM/ModuleFormer; its files are imported as they are (the package's __init__, which only
sets up transformers' lazy loading, is skipped). Random weights from the reference's own initialisation,
inference mode, float32. Prints one JSON object on stdout; progress goes to stderr.
  prefill  one forward over 8×256 random tokens, use_cache=False
  decode   greedy, 128 new tokens after a 16-token prompt at batch 1 and 8: one forward over the prompt with
           use_cache=True, then one token per forward with past_key_values, as the reference's
           prepare_inputs_for_generation feeds generate(); tok/s = new tokens (×batch) / wall time of the loop
"""
import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=UserWarning)   # deprecation notes from the reference code

PREFILL_BATCH, PREFILL_TOKENS, PROMPT_TOKENS, NEW_TOKENS, DECODE_BATCH = 8, 256, 16, 128, 8


def load_reference(directory):
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))     # the `transformers` stand-in
    spec = importlib.util.spec_from_loader("moduleformer", loader=None, is_package=True)
    package = importlib.util.module_from_spec(spec)
    package.__path__ = [os.path.join(os.path.abspath(directory), "moduleformer")]
    sys.modules["moduleformer"] = package
    from moduleformer.configuration_moduleformer import ModuleFormerConfig
    from moduleformer.modeling_moduleformer import ModuleFormerForCausalLM
    return ModuleFormerConfig, ModuleFormerForCausalLM


def median_ms(label, runs, action):
    start = time.perf_counter()
    action()
    print(f"[peer] {label}: warm-up {1000 * (time.perf_counter() - start):.1f} ms", file=sys.stderr)
    times = []
    for i in range(runs):
        start = time.perf_counter()
        action()
        times.append(1000 * (time.perf_counter() - start))
        print(f"[peer] {label}: run {i + 1}/{runs} {times[-1]:.1f} ms", file=sys.stderr)
    return statistics.median(times)


def greedy(torch, model, prompt):
    output = model(prompt, use_cache=True)
    for step in range(NEW_TOKENS):
        chosen = output.logits[:, -1].argmax(-1, keepdim=True)          # (B, 1)
        if step == NEW_TOKENS - 1:
            break
        output = model(chosen, past_key_values=output.past_key_values, use_cache=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--reference", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()

    import torch
    torch.set_num_threads(args.threads)
    ModuleFormerConfig, ModuleFormerForCausalLM = load_reference(args.reference)
    with open(args.config) as f:
        settings = {k: v for k, v in json.load(f).items() if not k.startswith("_")}
    torch.manual_seed(args.seed)
    model = ModuleFormerForCausalLM(ModuleFormerConfig(**settings)).eval()
    vocab = settings["vocab_size"]
    generator = torch.Generator().manual_seed(args.seed)
    prefill = torch.randint(vocab, (PREFILL_BATCH, PREFILL_TOKENS), generator=generator)
    prompt_b1 = torch.randint(vocab, (1, PROMPT_TOKENS), generator=generator)
    prompt_b8 = torch.randint(vocab, (DECODE_BATCH, PROMPT_TOKENS), generator=generator)

    with torch.inference_mode():
        forward = median_ms("prefill 8×256", args.runs, lambda: model(prefill, use_cache=False))
        decode_b1 = median_ms("decode b1", args.runs, lambda: greedy(torch, model, prompt_b1))
        decode_b8 = median_ms("decode b8", args.runs, lambda: greedy(torch, model, prompt_b8))
    print(json.dumps({
        "implementation": "IBM/ModuleFormer (PyTorch)",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "forward_ms": forward,
        "decode_b1_ms": decode_b1,
        "decode_b8_ms": decode_b8,
        "forward_tokens_per_s": PREFILL_BATCH * PREFILL_TOKENS / (forward / 1000),
        "decode_b1_tokens_per_s": NEW_TOKENS / (decode_b1 / 1000),
        "decode_b8_tokens_per_s": DECODE_BATCH * NEW_TOKENS / (decode_b8 / 1000),
    }))


if __name__ == "__main__":
    main()
