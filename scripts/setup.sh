#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks for building, running and testing ModuleService.
# Idempotent: installs nothing that is already there.
set -euo pipefail

need=()
command -v dotnet >/dev/null || { echo "the .NET 10 SDK is required (dotnet not on PATH)" >&2; exit 1; }
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}"
fi
dotnet restore "$(dirname "$0")/../ModuleService.sln" --verbosity quiet

# PostgreSQL binaries for the registry's tests and for embedded PostgreSQL (src/Registry/Hosting/PostgresCluster.cs).
# Only the binaries and the 'postgres' OS user are needed; the tests start their own throwaway cluster.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql
fi
