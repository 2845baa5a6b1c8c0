#!/usr/bin/env bash
# The benchmark suite of issue #7 (not a timed test, not run by CI): the tiny, small (default model) and
# MoLM-350M-4B-shaped configs × {sparse, dense with equal active parameters, dense with equal total parameters}
# × {fp32, bf16} × {prefill 8×256, decode batch 1, decode batch 8, training step}, each in a
# `modsvc bench` process that first measures the machine's limits (matmul rates, copy bandwidth).
# Writes DIR/<config>[-<dtype>].md and .json and prints the markdown.
#
#   scripts/bench-suite.sh [--out DIR] [--runs 3] [--threads 2] [--molm-layers 2] [--molm-bf16-runs 1]
#                          [--budget-seconds 300] [--configs tiny,small,molm-350m-4b] [--no-build]
#
# tiny and small run fp32 and bf16 in one process; MoLM-350M-4B runs fp32 and bf16 in two processes, bf16 with
# --molm-bf16-runs timed runs (bf16 is emulated, ~50× slower than fp32, on CPUs without AVX512-BF16, and one
# MoLM-shaped prefill then takes minutes; 0 skips MoLM bf16). MoLM-350M-4B is cut to --molm-layers of its 24 layers: its
# dense-equal-total variant has 4.1 B parameters at 24 layers, and training needs AdamW state for all of them.
# Runs whose prefill would exceed --budget-seconds at the measured matmul rate are skipped and listed.
# Check `uptime` first: the numbers mean little on a busy machine (each report states the load).
# MODSVC_DLL=path/to/modsvc.dll runs another build (e.g. a copy, so rebuilding the tree cannot change it mid-run).
set -euo pipefail
cd "$(dirname "$0")/.."

out=bench-results runs=3 threads=2 molm_layers=2 molm_bf16_runs=1 budget=300 configs=tiny,small,molm-350m-4b build=1
usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --out) out=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --threads) threads=$2; shift 2 ;;
        --molm-layers) molm_layers=$2; shift 2 ;;
        --molm-bf16-runs) molm_bf16_runs=$2; shift 2 ;;
        --budget-seconds) budget=$2; shift 2 ;;
        --configs) configs=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) usage ;;
        *) echo "bench-suite: unknown argument $1" >&2; usage ;;
    esac
done

mkdir -p "$out"
[ "$build" -eq 0 ] || dotnet build src/Cli -c Release -v q -nologo >&2
modsvc=${MODSVC_DLL:-src/Cli/bin/Release/net10.0/modsvc.dll}
# bench CONFIG NAME DTYPES RUNS [extra options]
bench() {
    local config=$1 name=$2 dtypes=$3 runs=$4; shift 4
    echo "[suite] $name (load $(cut -d' ' -f1-3 /proc/loadavg))" >&2
    dotnet "$modsvc" bench --config "src/Cli/bench-configs/$config.json" "$@" \
        --dtype "$dtypes" --threads "$threads" --runs "$runs" --dense-baselines --limits --train \
        --budget-seconds "$budget" --output "$out/$name.json" | tee "$out/$name.md"
    echo
}
for config in ${configs//,/ }; do
    if [ "$config" = molm-350m-4b ]; then
        bench "$config" "$config-fp32" fp32 "$runs" --layers "$molm_layers"
        [ "$molm_bf16_runs" -eq 0 ] || bench "$config" "$config-bf16" bf16 "$molm_bf16_runs" --layers "$molm_layers"
    else
        bench "$config" "$config" fp32,bf16 "$runs"
    fi
done
