#!/usr/bin/env bash
# The long reliability suite (issue #8) in one command: (a) the endpoint fuzzer, (b) the fault tests (trait
# Suite=faults, the worker-kill and blob-integrity tests), (c) the soak (scripts/soak.sh). Prints one markdown table —
# part, tests and inputs tried, faults injected, errors, data lost — and exits 1 if any part failed.
#
#   scripts/reliability.sh [--soak-seconds 600] [--no-build]
#
# The tests report what they tried and verified through tests/Api.Tests/Support/SuiteReport.cs (one JSON line per
# test in $MODSVC_SUITE_REPORT_DIR/report.jsonl); errors are failed tests plus the wrong answers the tests counted.
# Logs of each part, the soak's JSON report and its RSS chart are kept in the folder named at the end.
set -uo pipefail
cd "$(dirname "$0")/.."

soak_seconds=600 build=1
usage() { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --soak-seconds) soak_seconds=$2; shift 2 ;;
        --no-build) build=0; shift ;;
        -h|--help) usage ;;
        *) echo "unknown option $1" >&2; usage ;;
    esac
done
command -v node >/dev/null || { echo "node (>= 20) is required" >&2; exit 1; }

reports=$(mktemp -d /tmp/modsvc-reliability-XXXXXX)
export MODSVC_SUITE_REPORT_DIR=$reports
if [ "$build" = 1 ]; then
    # The test project builds the API too (Release), which the soak then runs; the CLI draws the soak's RSS chart.
    { dotnet build tests/Api.Tests -c Release --nologo -v quiet && dotnet build src/Cli -c Release --nologo -v quiet; } >&2 ||
        { echo "build failed" >&2; exit 1; }
fi

# Runs one filtered test run; leaves "passed failed" of it in $reports/<part>.counts.
run_tests() {
    local part=$1 filter=$2
    echo "== $part: dotnet test --filter \"$filter\"" >&2
    dotnet test tests/Api.Tests -c Release --no-build --filter "$filter" 2>&1 | tee "$reports/$part.log" >&2
    grep -E '^(Passed|Failed)!' "$reports/$part.log" | sed -E 's/.*Failed: *([0-9]+), Passed: *([0-9]+).*/\2 \1/' |
        awk '{p+=$1; f+=$2} END {print p+0, f+0}' >"$reports/$part.counts"
}
run_tests fuzz 'FullyQualifiedName~Fuzz'
run_tests faults 'Suite=faults|FullyQualifiedName~WorkerKill|FullyQualifiedName~Integrity'

echo "== soak: scripts/soak.sh --duration $soak_seconds" >&2
scripts/soak.sh --no-build --duration "$soak_seconds" --json "$reports/soak.json" --png "$reports/soak-rss.png" 2>&1 | tee "$reports/soak.log" >&2

node - "$reports" <<'JS'
const { readFileSync, existsSync } = require('node:fs');
const dir = process.argv[2];
const lines = existsSync(`${dir}/report.jsonl`) ? readFileSync(`${dir}/report.jsonl`, 'utf8').trim().split('\n').filter(Boolean).map(JSON.parse) : [];
const rows = [];
let ok = true;
for (const part of ['fuzz', 'faults']) {
    const [passed, failed] = readFileSync(`${dir}/${part}.counts`, 'utf8').trim().split(' ').map(Number);
    const mine = lines.filter(l => l.part === part);
    const sum = key => mine.reduce((n, l) => n + l[key], 0);
    const errors = failed + sum('errors'), lost = sum('dataLost');
    const passedPart = passed > 0 && errors === 0 && lost === 0;
    ok &&= passedPart;
    rows.push([part, `${passed + failed} tests (${failed} failed), ${sum('inputs')} inputs`, sum('faults'), errors,
        mine.length > 0 ? `${lost} (checked by ${mine.length} test${mine.length === 1 ? '' : 's'})` : 'not measured', passedPart ? 'pass' : 'FAIL']);
}
const soak = existsSync(`${dir}/soak.json`) ? JSON.parse(readFileSync(`${dir}/soak.json`, 'utf8')) : null;
if (soak) {
    const { requests, errors, lost } = soak.totals;
    ok &&= soak.ok;
    rows.push(['soak', `${requests} requests in ${Math.round(soak.trafficSeconds)} s`, 0, errors,
        `${lost} (${soak.check.datasets} datasets, ${soak.check.assemblies} assemblies, ${soak.check.moduleVersions} module versions read back)`,
        `${soak.ok ? 'pass' : 'FAIL'} (RSS ${soak.rss.growthMiB >= 0 ? '+' : ''}${soak.rss.growthMiB?.toFixed(0)} MiB after the warm-up, limit ${soak.settings.maxRssGrowthMiB})`]);
} else {
    ok = false;
    rows.push(['soak', '-', '-', 'the soak wrote no report', '-', 'FAIL']);
}
console.log(['| part | tests / inputs tried | faults injected | errors | data lost | result |', '|---|---|---:|---:|---|---|',
    ...rows.map(r => `| ${r.join(' | ')} |`)].join('\n'));
console.log(`\n${ok ? 'PASS' : 'FAIL'}: reliability suite; logs and reports in ${dir}`);
process.exit(ok ? 0 : 1);
JS
