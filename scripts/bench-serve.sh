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

data= api_pid= bench_pid=
stop_api() {
    if [ -n "$bench_pid" ]; then kill -TERM "$bench_pid" 2>/dev/null || true; wait "$bench_pid" 2>/dev/null || true; bench_pid=; fi
    if [ -n "$api_pid" ] && kill -0 "$api_pid" 2>/dev/null; then
        # SIGTERM: the host stops, then the embedded PostgreSQL (ApplicationStopped).
        kill -TERM "$api_pid" 2>/dev/null || true
        for _ in $(seq 60); do kill -0 "$api_pid" 2>/dev/null || break; sleep 0.5; done
        kill -0 "$api_pid" 2>/dev/null && { echo "the API did not stop; killing it" >&2; kill -KILL "$api_pid" 2>/dev/null || true; }
        wait "$api_pid" 2>/dev/null || true
    fi
    api_pid=
    if [ -n "$data" ] && [ -f "$data/postgres/data/postmaster.pid" ]; then
        echo "PostgreSQL is still running in $data; stopping it" >&2
        pg_ctl=$(ls /usr/lib/postgresql/*/bin/pg_ctl 2>/dev/null | sort -V | tail -1)
        if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$pg_ctl" -D "$data/postgres/data" -m fast -w stop >&2 || true
        else "$pg_ctl" -D "$data/postgres/data" -m fast -w stop >&2 || true; fi
    fi
    if [ -n "$data" ]; then
        if [ "${status:-1}" != 0 ] && [ -f "$data/api.log" ]; then
            cp "$data/api.log" "${data}.api.log" && echo "API log kept in ${data}.api.log" >&2
        fi
        rm -rf "$data"; data=
    fi
}
trap stop_api EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [ -z "$url" ]; then
    [ -f "$checkpoint/config.json" ] || { echo "no checkpoint at $checkpoint" >&2; exit 1; }
    if [ "$build" = 1 ]; then dotnet build src/Api -c Release --nologo -v quiet >&2; fi
    dll=$root/src/Api/bin/Release/net10.0/ModuleService.Api.dll
    [ -f "$dll" ] || { echo "$dll is missing (build src/Api in Release)" >&2; exit 1; }

    data=$(mktemp -d /tmp/modsvc-bench-XXXXXX)
    chmod 755 "$data"          # as root, the embedded PostgreSQL runs as 'postgres', which must reach its folder
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((20000 + RANDOM % 20000)))
    url=http://127.0.0.1:$port
    key=bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    model=bench
    export Inference__Threads=${Inference__Threads:-1}
    echo "starting the API on $url (data in $data, log $data/api.log, Inference__Threads=$Inference__Threads)" >&2
    ModuleService__DataDirectory=$data Auth__BootstrapAdminKey=$key ASPNETCORE_ENVIRONMENT=Production \
        Logging__LogLevel__Default=Warning dotnet "$dll" --urls "$url" >"$data/api.log" 2>&1 &
    api_pid=$!
    for i in $(seq 240); do
        curl -sf "$url/readyz" >/dev/null 2>&1 && break
        kill -0 "$api_pid" 2>/dev/null || { echo "the API exited:" >&2; tail -30 "$data/api.log" >&2; exit 1; }
        [ "$i" = 240 ] && { echo "the API was not ready after 120 s" >&2; tail -30 "$data/api.log" >&2; exit 1; }
        sleep 0.5
    done
    code=$(curl -s -o "$data/import.json" -w '%{http_code}' -X POST "$url/v1/imports" -H "Authorization: Bearer $key" \
        -H 'Content-Type: application/json' -d "{\"path\": \"$checkpoint\", \"name\": \"$model\"}")
    [ "$code" = 201 ] || [ "$code" = 200 ] || { echo "import failed ($code): $(cat "$data/import.json")" >&2; exit 1; }
    vocab=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$checkpoint/config.json" 2>/dev/null || echo 512)
else
    [ -n "$key" ] && [ -n "$model" ] || { echo "--url needs --key and --model" >&2; exit 2; }
    vocab=${BENCH_VOCAB:-512}
fi

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) CPUs" >&2
# In the background so that a signal reaches the trap (and stops the API) at once, not after the run.
node "$root/tests/openai-client/bench.mjs" --base-url "$url/v1" --key "$key" --model "$model" --clients "$clients" \
    --duration "$duration" --prompt-tokens "$prompt_tokens" --max-tokens "$max_tokens" --vocab "$vocab" \
    --temperature "$temperature" --warmup "$warmup" --rounds "$rounds" --min-ratio "$min_ratio" ${json:+--json "$json"} &
bench_pid=$!
status=0
wait "$bench_pid" || status=$?
bench_pid=
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exit $status
