#!/usr/bin/env bash
# Serving benchmark (not a timed test): 1, 4 and 8 concurrent streaming clients, each for a fixed time, against
# /v1/completions. Prints a markdown table (clients, requests, errors, aggregate tokens/s, TTFT p50/p99) and the
# 8-vs-1 throughput ratio; exits 1 if a request failed or the ratio is under --min-ratio (default 3).
#
# Without --url it starts the API itself (Release build, embedded PostgreSQL in a temporary data directory, a random
# bootstrap key, a free loopback port), imports a checkpoint (default: the reference-tiny fixture) and stops the API
# and its PostgreSQL afterwards, even on Ctrl+C. With --url/--key/--model it only runs the load generator.
#
#   scripts/bench-serve.sh [--duration 20] [--clients 1,4,8] [--prompt-tokens 16] [--max-tokens 64]
#                          [--temperature 1] [--warmup 45] [--rounds 4] [--checkpoint DIR] [--min-ratio 3]
#                          [--no-build] [--json FILE] [--url http://host:port --key KEY --model NAME]
#
# Each client count gets --duration seconds in total, run as --rounds interleaved slices (1, 4, 8, 1, 4, 8, ...)
# after a --warmup with the largest client count (see tests/openai-client/bench.mjs).
#
# Needs dotnet and node (>= 20; the load generator tests/openai-client/bench.mjs uses no packages). Server settings
# can be passed as environment variables, e.g. Inference__MaxBatchSize=16. Inference__Threads defaults to 1 here:
# the fixture model's operations are too small to gain from intra-op threads, and the load generator runs on the
# same machine (on a busy 2-core machine, 2 torch threads halved the throughput).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

duration=20 clients=1,4,8 prompt_tokens=16 max_tokens=64 temperature=1 warmup=45 rounds=4 min_ratio=3 build=1 json=
checkpoint=$root/tests/Model.Tests/Fixtures/reference-tiny
url= key= model=
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --clients) clients=$2; shift 2 ;;
        --prompt-tokens) prompt_tokens=$2; shift 2 ;;
        --max-tokens) max_tokens=$2; shift 2 ;;
        --temperature) temperature=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --rounds) rounds=$2; shift 2 ;;
        --checkpoint) checkpoint=$(cd "$2" && pwd); shift 2 ;;
        --min-ratio) min_ratio=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --json) json=$2; shift 2 ;;
        --url) url=${2%/}; shift 2 ;;
        --key) key=$2; shift 2 ;;
        --model) model=$2; shift 2 ;;
        -h|--help) usage ;;
        *) echo "unknown option $1" >&2; usage ;;
    esac
done
command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }

# shellcheck source=lib/serve.sh
. scripts/lib/serve.sh
serve_traps

if [ -z "$url" ]; then
    model=bench
    export Inference__Threads=${Inference__Threads:-1}
    serve_start "$build" "$checkpoint" "$model" bench
    vocab=$(serve_vocab "$checkpoint")
else
    [ -n "$key" ] && [ -n "$model" ] || { echo "--url needs --key and --model" >&2; exit 2; }
    vocab=${BENCH_VOCAB:-512}
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs" >&2
# In the background so that a signal reaches the trap (and stops the API) at once, not after the run.
node "$root/tests/openai-client/bench.mjs" --base-url "$url/v1" --key "$key" --model "$model" --clients "$clients" \
    --duration "$duration" --prompt-tokens "$prompt_tokens" --max-tokens "$max_tokens" --vocab "$vocab" \
    --temperature "$temperature" --warmup "$warmup" --rounds "$rounds" --min-ratio "$min_ratio" ${json:+--json "$json"} &
client_pid=$!
status=0
wait "$client_pid" || status=$?
client_pid=
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit $status
