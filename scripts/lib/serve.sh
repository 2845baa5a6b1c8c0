# Sourced by scripts that run the API for a load test (bench-serve.sh, soak.sh): start it on a free loopback port
# with a random bootstrap key and an embedded PostgreSQL in a temporary data directory, import a checkpoint, and stop
# everything again on exit, Ctrl+C or SIGTERM. Expects to run from the repository root with `set -euo pipefail`.
#
#   serve_traps                                   stop everything on EXIT, INT and TERM
#   serve_start BUILD CHECKPOINT MODEL PREFIX     BUILD 1 builds src/Api (Release) first; sets url, key, api_pid, data
#   client_pid=$!                                 a load generator started in the background is stopped first
#   status=...                                    0 deletes the API log with the data; otherwise it is kept
#
# Server settings can be passed as environment variables (e.g. Inference__MaxBatchSize=16).

data= api_pid= client_pid=

serve_stop() {
    if [ -n "$client_pid" ]; then kill -TERM "$client_pid" 2>/dev/null || true; wait "$client_pid" 2>/dev/null || true; client_pid=; fi
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
        local pg_ctl
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

serve_traps() {
    trap serve_stop EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

serve_start() {
    local build=$1 checkpoint=$2 model=$3 prefix=$4 dll port code
    [ -f "$checkpoint/config.json" ] || { echo "no checkpoint at $checkpoint" >&2; exit 1; }
    if [ "$build" = 1 ]; then dotnet build src/Api -c Release --nologo -v quiet >&2; fi
    dll=$PWD/src/Api/bin/Release/net10.0/ModuleService.Api.dll
    [ -f "$dll" ] || { echo "$dll is missing (build src/Api in Release)" >&2; exit 1; }

    data=$(mktemp -d "/tmp/modsvc-$prefix-XXXXXX")
    chmod 755 "$data"          # as root, the embedded PostgreSQL runs as 'postgres', which must reach its folder
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
        || echo $((20000 + RANDOM % 20000)))
    url=http://127.0.0.1:$port
    key=$prefix-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')
    echo "starting the API on $url (data in $data, log $data/api.log, Inference__Threads=${Inference__Threads:-default})" >&2
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
}

# The checkpoint's vocabulary size, for random token-id prompts.
serve_vocab() {
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["vocab_size"])' "$1/config.json" 2>/dev/null || echo 512
}
