"""Summarises scripts/bench-peer.sh rounds: medians over rounds, our ratios against issue #7's targets.

    python3 peer_report.py DIR ROUNDS DTYPES
"""
import json
import os
import statistics
import sys

# (measurement key, label, {modsvc dtype: target ratio over the reference's fp32})
MEASUREMENTS = [
    ("forward_tokens_per_s", "prefill 8×256 tok/s", {"fp32": 1.5, "bf16": 3.0}),
    ("decode_b1_tokens_per_s", "decode b1 tok/s", {"fp32": 2.0}),
    ("decode_b8_tokens_per_s", "decode b8 tok/s", {}),
]


def load(directory, name):
    with open(os.path.join(directory, name)) as f:
        return json.load(f)


def main():
    directory, rounds, dtypes = sys.argv[1], int(sys.argv[2]), sys.argv[3].split(",")
    reference = [load(directory, f"reference-{r}.json") for r in range(1, rounds + 1)]
    ours = {d: [load(directory, f"modsvc-{d}-{r}.json") for r in range(1, rounds + 1)] for d in dtypes}
    first = ours[dtypes[0]][0]
    loads = [x[k] for runs in ours.values() for x in runs for k in ("load_average_start", "load_average_end") if x[k] is not None]
    print(f"## Peer benchmark: {first['config']} ({first['n_layer']} layers), {reference[0]['threads']} threads, "
          f"median of {rounds} alternating rounds")
    print()
    machine = first["machine"]
    print(f"Machine: {machine['cpu_model']}, {machine['cores']} cores, avx512_bf16 {'yes' if machine['avx512_bf16'] else 'no'}; "
          f"reference: {reference[0]['implementation']}, torch {reference[0]['torch']}, float32; "
          f"1-min load average during modsvc runs {min(loads):.2f}–{max(loads):.2f}.")
    print()
    header = "| measurement | reference fp32 |"
    rule = "|---|---:|"
    for d in dtypes:
        header += f" modsvc {d} | ratio | target |"
        rule += "---:|---:|---|"
    print(header)
    print(rule)
    for key, label, targets in MEASUREMENTS:
        peer = statistics.median(x[key] for x in reference)
        row = f"| {label} | {peer:,.0f} |"
        for d in dtypes:
            # Ratios per round (each round's two runs are adjacent in time), then their median.
            value = statistics.median(x[key] for x in ours[d])
            ratio = statistics.median(o[key] / p[key] for o, p in zip(ours[d], reference))
            goal = targets.get(d)
            verdict = "—" if goal is None else f"≥ {goal:g}×: {'met' if ratio >= goal else 'missed'}"
            row += f" {value:,.0f} | {ratio:.2f}× | {verdict} |"
        print(row)
    print()
    print("Ratio = median over rounds of (modsvc tok/s ÷ reference tok/s) of the same round. Decode tok/s = new tokens "
          "(×batch) / wall time of the whole greedy call, prompt pass included, KV cache (past_key_values) on both sides.")


if __name__ == "__main__":
    main()
