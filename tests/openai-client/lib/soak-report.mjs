// The soak's markdown summary and JSON report.
import { writeFileSync } from 'node:fs';
import { percentile } from './completions.mjs';

const fmt = (x, digits = 0) => Number.isFinite(x) ? x.toFixed(digits) : '-';

/** Samples at the start, nearest to every tenth of the run, and at the end (each at most once). */
function rssTable(rss, duration) {
    const picked = new Set([0, rss.length - 1]);
    for (let i = 1; i < 10; i++) {
        const target = (duration * i) / 10;
        picked.add(rss.reduce((best, s, j) => Math.abs(s.seconds - target) < Math.abs(rss[best].seconds - target) ? j : best, 0));
    }
    return [...picked].sort((a, b) => a - b).map(i => rss[i]);
}

/**
 * Prints the summary and writes the JSON (if asked); returns whether the run passed: no errors, nothing lost, and RSS
 * growth from the first sample at or after <rssFrom> seconds to the last at most <maxGrowth> MiB.
 */
export function printSummary({ kinds, rss, warmup, rssFrom, duration, trafficSeconds, check, logErrors, maxGrowth, json, model }) {
    const rows = [...kinds].map(([kind, s]) => ({
        kind, requests: s.requests, errors: s.errors.length, errorSamples: [...new Set(s.errors)].slice(0, 3),
        p50Ms: percentile(s.latency, 50), p99Ms: percentile(s.latency, 99), ttftP50Ms: percentile(s.ttft, 50), ttftP99Ms: percentile(s.ttft, 99),
    }));
    const lines = [
        '| traffic | requests | errors | p50 (ms) | p99 (ms) | TTFT p50 (ms) | TTFT p99 (ms) |', '|---|---:|---:|---:|---:|---:|---:|',
        ...rows.map(r => `| ${r.kind} | ${r.requests} | ${r.errors} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} | ${fmt(r.ttftP50Ms)} | ${fmt(r.ttftP99Ms)} |`),
        `| errors logged by the API (fail/crit) | - | ${logErrors.length} | | | | |`,
    ];
    const baseline = rss.find(s => s.seconds >= rssFrom) ?? rss.at(-1);
    const growth = rss.length > 0 ? rss.at(-1).mib - baseline.mib : NaN;
    if (rss.length > 0) {
        lines.push('', '| t (s) | API RSS (MiB) |', '|---:|---:|', ...rssTable(rss, trafficSeconds).map(s => `| ${s.seconds} | ${fmt(s.mib, 1)} |`), '',
            `RSS growth after the warm-up and the first training job: ${growth >= 0 ? '+' : ''}${fmt(growth, 1)} MiB (t = ${baseline.seconds} s → ${rss.at(-1).seconds} s; ` +
            `limit ${maxGrowth} MiB); peak ${fmt(Math.max(...rss.map(s => s.mib)), 1)} MiB`);
    } else lines.push('', 'RSS not sampled (no --pid)');
    lines.push('', `Read back: ${check.datasets} datasets, ${check.assemblies} assemblies, ${check.moduleVersions} module versions; ` +
        `${check.lost.length} lost or damaged`);
    for (const r of rows.filter(r => r.errors > 0)) lines.push(`${r.kind} errors, e.g.: ${r.errorSamples.join(' | ')}`);
    for (const l of check.lost.slice(0, 10)) lines.push(`lost: ${l}`);
    for (const l of logErrors.slice(0, 5)) lines.push(`logged: ${l}`);
    const errors = rows.reduce((n, r) => n + r.errors, 0) + logErrors.length;
    const grewTooMuch = !(growth <= maxGrowth) && rss.length > 0;
    const ok = errors === 0 && check.lost.length === 0 && !grewTooMuch;
    lines.push('', `settings: ${duration} s of traffic (ran ${fmt(trafficSeconds)} s) on model ${model}, warm-up ${fmt(warmup)} s left out of the latencies`,
        '', `${ok ? 'PASS' : 'FAIL'}: ${errors} errors, ${check.lost.length} lost, RSS growth ${fmt(growth, 1)} MiB ${grewTooMuch ? '>' : '<='} ${maxGrowth} MiB`);
    console.log(lines.join('\n'));
    if (json) {
        const requests = rows.reduce((n, r) => n + r.requests, 0);
        writeFileSync(json, JSON.stringify({
            settings: { duration, warmup, maxRssGrowthMiB: maxGrowth, model }, trafficSeconds, traffic: rows, logErrors: logErrors.slice(0, 20),
            rss: { samples: rss, baselineSeconds: baseline?.seconds, growthMiB: growth },
            check: { ...check, lost: check.lost.length, lostSamples: check.lost.slice(0, 20) },
            totals: { requests, errors, lost: check.lost.length }, ok,
        }, null, 2));
    }
    return ok;
}
