#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for building, running and testing ModuleService, then restores
# NuGet packages. Idempotent: installs nothing that is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }

need=()
# PostgreSQL binaries (initdb, pg_ctl) and the 'postgres' OS user: the app's embedded PostgreSQL and the tests'
# throwaway clusters start their own servers from them (src/Registry/Hosting/PostgresCluster.cs).
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
    # Debian's package starts a system cluster we do not use.
    if command -v pg_lsclusters >/dev/null; then
        $SUDO systemctl stop postgresql >/dev/null 2>&1 || $SUDO service postgresql stop >/dev/null 2>&1 || true
    fi
fi
dotnet restore ModuleService.sln --verbosity quiet
# The official OpenAI Node.js client (pinned by tests/openai-client/package-lock.json) that
# tests/Api.Tests/Inference/OpenAiNodeClientTests drives; that test fails without it.
if command -v node >/dev/null && command -v npm >/dev/null; then
    npm ci --prefix tests/openai-client --no-audit --no-fund --loglevel=error
fi
