#!/usr/bin/env bash
# Soak test (issue #8, load): starts the API like scripts/bench-serve.sh (Release build, embedded PostgreSQL in a
# temporary data directory, a random bootstrap key, a free loopback port; everything stopped on exit and Ctrl+C),
# imports the reference-tiny fixture and runs mixed traffic for a fixed time (tests/openai-client/soak.mjs):
# streaming and plain completions, registry reads, dataset uploads and one pretrain job at a time, while the API's
# RSS is sampled every few seconds. Afterwards every uploaded dataset, assembly and module version is read back and
# checked against its sha256. Prints a markdown summary (per traffic kind: requests, errors, p50/p99 latency and
# TTFT; RSS over time; RSS growth after the warm-up; data lost); exits 1 on any error, lost data or RSS growth over
# --max-rss-growth-mib.
#
#   scripts/soak.sh [--duration 600] [--json FILE] [--png FILE] [--no-build] [--max-rss-growth-mib 150]
#                   [--warmup SECONDS] [--stream-clients 2] [--trained-every 4] [--checkpoint DIR]
#
# --trained-every N sends every Nth plain completion to the newest pretrained model (0: never), so the model cache
# keeps loading models; 0 tells a leak in serving apart from the cache's growth.
# --json writes the report with every RSS sample; --png also draws the RSS over time (built with the CLI, `modsvc
# soak-chart`). Needs dotnet and node (>= 20, no packages). Server settings can be passed as environment variables;
# Inference__Threads defaults to 1 as in bench-serve.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

duration=600 json= png= build=1 max_growth=150 warmup= stream_clients=2 trained_every=4
checkpoint=$root/tests/Model.Tests/Fixtures/reference-tiny
usage() { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --duration) duration=$2; shift 2 ;;
        --json) json=$2; shift 2 ;;
        --png) png=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        --max-rss-growth-mib) max_growth=$2; shift 2 ;;
        --warmup) warmup=$2; shift 2 ;;
        --stream-clients) stream_clients=$2; shift 2 ;;
        --trained-every) trained_every=$2; shift 2 ;;
        --checkpoint) checkpoint=$(cd "$2" && pwd); shift 2 ;;
        -h|--help) usage ;;
        *) echo "unknown option $1" >&2; usage ;;
    esac
done
command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }
[ -z "$png" ] || [ -n "$json" ] || json=$(mktemp /tmp/modsvc-soak-XXXXXX.json)

# shellcheck source=lib/serve.sh
. scripts/lib/serve.sh
serve_traps

model=soak
export Inference__Threads=${Inference__Threads:-1}
serve_start "$build" "$checkpoint" "$model" soak
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs; soak for $duration s" >&2
# In the background so that a signal reaches the trap (and stops the API) at once, not after the run.
node tests/openai-client/soak.mjs --url "$url" --key "$key" --model "$model" --duration "$duration" --pid "$api_pid" \
    --api-log "$data/api.log" --vocab "$(serve_vocab "$checkpoint")" --max-rss-growth-mib "$max_growth" \
    --stream-clients "$stream_clients" --trained-every "$trained_every" ${warmup:+--warmup "$warmup"} ${json:+--json "$json"} &
client_pid=$!
status=0
wait "$client_pid" || status=$?
client_pid=
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
if [ -n "$png" ] && [ -f "$json" ]; then
    [ "$build" = 0 ] || dotnet build src/Cli -c Release --nologo -v quiet >&2
    dotnet src/Cli/bin/Release/net10.0/modsvc.dll soak-chart --json "$json" --output "$png" >&2 \
        && echo "RSS chart: $png" >&2 || echo "could not draw $png" >&2
fi
exit $status
