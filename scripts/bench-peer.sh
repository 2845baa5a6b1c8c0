#!/usr/bin/env bash
# Peer benchmark (not a timed test, not run by CI): the original PyTorch ModuleFormer (IBM/ModuleFormer) against
# `modsvc bench` on the same config (src/Cli/bench-configs/peer.json: 4 layers, d 512, 16 attention experts,
# 32 MLP experts of width 1024, top-2, vocabulary 8192), the same shapes (prefill 8×256, greedy decode of 128 tokens
# after a 16-token prompt at batch 1 and 8) and the same thread count, alternating in rounds. Prints a markdown
# table with the medians over the rounds and our ratios against the targets of issue #7.
#
#   scripts/bench-peer.sh --reference DIR [--rounds 3] [--runs 3] [--threads 2] [--dtypes fp32,bf16] [--out DIR]
#                         [--no-build]
#
# DIR is a checkout of IBM/ModuleFormer (the fixtures came from commit 850f1eb), e.g.
#   mkdir -p /tmp/ModuleFormer && git --git-dir=/work/.mirror/IBM+ModuleFormer/repo archive HEAD | tar -x -C /tmp/ModuleFormer
# Its files are used unchanged; the `transformers` names they import come from scripts/peer/transformers, a small
# stand-in (Debian bookworm has no transformers package). The reference runs on Debian's python3-torch (1.13,
# /usr/bin/python3), which this script installs with apt-get if it is missing (sudo when not root). The reference
# runs in float32 only; `--dtypes` chooses what modsvc runs (bf16 is slow on CPUs without AVX512-BF16).
# MODSVC_DLL=path/to/modsvc.dll times another build of modsvc.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

reference= rounds=3 runs=3 threads=2 dtypes=fp32,bf16 out= build=1
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --reference) reference=$(cd "$2" && pwd); shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --dtypes) dtypes=$2; shift 2 ;;
        --out) out=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) usage ;;
        *) echo "bench-peer: unknown argument $1" >&2; usage ;;
    esac
done
[ -n "$reference" ] || { echo "bench-peer: --reference DIR is required" >&2; usage; }
[ -f "$reference/moduleformer/modeling_moduleformer.py" ] || { echo "bench-peer: $reference is not an IBM/ModuleFormer checkout" >&2; exit 2; }

python=/usr/bin/python3
if ! "$python" -c 'import torch' 2>/dev/null; then
    echo "[peer] installing Debian's python3-torch" >&2
    sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends python3-torch
fi

out=${out:-$(mktemp -d -t bench-peer-XXXXXX)}
mkdir -p "$out"
[ "$build" -eq 0 ] || dotnet build src/Cli -c Release -v q -nologo >&2
modsvc=(dotnet "${MODSVC_DLL:-$root/src/Cli/bin/Release/net10.0/modsvc.dll}")
config=$root/src/Cli/bench-configs/peer.json

for round in $(seq 1 "$rounds"); do
    echo "[peer] round $round/$rounds: reference (PyTorch, fp32)" >&2
    OMP_NUM_THREADS=$threads "$python" scripts/peer/bench_peer.py --reference "$reference" --config "$config" \
        --threads "$threads" --runs "$runs" > "$out/reference-$round.json"
    for dtype in ${dtypes//,/ }; do
        echo "[peer] round $round/$rounds: modsvc ($dtype)" >&2
        "${modsvc[@]}" bench --config "$config" --dtype "$dtype" --threads "$threads" --runs "$runs" \
            --output "$out/modsvc-$dtype-$round.json" > /dev/null
    done
done
"$python" scripts/peer/peer_report.py "$out" "$rounds" "$dtypes"
echo "[peer] raw results: $out" >&2
