#!/usr/bin/env node
// Load generator for ModuleService's /v1/completions: for each client count, that many concurrent clients each send
// streaming completions back to back for a fixed time. Reports requests, errors, aggregate generated tokens/s (tokens
// that arrived within the window / window length), time to first token (p50/p99) and the ratio of the largest to
// the smallest client count's throughput. Needs only Node.js >= 20 (built-in fetch), no packages.
//
//   node bench.mjs --base-url http://127.0.0.1:5080/v1 --key KEY --model NAME \
//       [--clients 1,4,8] [--duration 20] [--prompt-tokens 16] [--max-tokens 64] [--vocab 512] \
//       [--temperature 1] [--warmup 45] [--rounds 4] [--min-ratio 3] [--json FILE]
//
// Before measuring, the largest client count runs for --warmup seconds (not reported): the first request builds the
// model, and .NET's tiered JIT keeps recompiling hot paths for a while after start (on a busy 2-core machine its
// background thread took a third of a core for ~40 s and the API served a third of its steady-state tokens/s),
// which would otherwise slow down whichever client count happens to run first. Each client count's --duration is split into --rounds
// slices, run in turn, so that drifts in the machine's background load spread over all client counts.
// Exit code: 0 when no request failed and (with --min-ratio) the ratio is reached; 1 otherwise; 2 on bad usage.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';
import { percentile, streamCompletion } from './lib/completions.mjs';

const usage = 'usage: node bench.mjs --base-url URL --key KEY --model NAME [--clients 1,4,8] [--duration SECONDS] ' +
    '[--prompt-tokens N] [--max-tokens N] [--vocab N] [--temperature T] [--warmup SECONDS] [--rounds N] [--min-ratio R] [--json FILE]';
let args;
try {
    ({ values: args } = parseArgs({
        options: {
            'base-url': { type: 'string' },
            key: { type: 'string' },
            model: { type: 'string' },
            clients: { type: 'string', default: '1,4,8' },
            duration: { type: 'string', default: '20' },
            'prompt-tokens': { type: 'string', default: '16' },
            'max-tokens': { type: 'string', default: '64' },
            vocab: { type: 'string', default: '512' },
            temperature: { type: 'string', default: '1' },
            warmup: { type: 'string', default: '45' },
            rounds: { type: 'string', default: '4' },
            'min-ratio': { type: 'string' },
            json: { type: 'string' },
        },
        strict: true,
    }));
} catch (e) {
    console.error(`${e.message}\n${usage}`);
    process.exit(2);
}
const clientCounts = (args.clients ?? '').split(',').map(Number);
const duration = Number(args.duration), promptTokens = Number(args['prompt-tokens']), maxTokens = Number(args['max-tokens']);
const vocab = Number(args.vocab), temperature = Number(args.temperature), warmup = Number(args.warmup);
const rounds = Number(args.rounds);
const minRatio = args['min-ratio'] === undefined ? null : Number(args['min-ratio']);
if (!args['base-url'] || !args.key || !args.model || clientCounts.some(n => !Number.isInteger(n) || n < 1)
    || [duration, promptTokens, maxTokens, vocab, temperature, warmup].some(Number.isNaN) || !(Number.isInteger(rounds) && rounds >= 1) || Number.isNaN(minRatio)) {
    console.error(usage);
    process.exit(2);
}
const url = args['base-url'].replace(/\/$/, '') + '/completions';

// Deterministic prompts: ids above the fixtures' special ids 0-2.
let state = 12345;
function nextId() {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return 3 + (state % (vocab - 3));
}
const prompt = () => Array.from({ length: promptTokens }, nextId);

/** One streaming request; tokens are counted from logprobs.tokens (logprobs: 0), whatever the tokenizer. */
async function streamOnce(seed, windowEnd, stats) {
    const started = performance.now();
    let first = null, tokens = 0, inWindow = 0;
    try {
        const error = await streamCompletion(url, args.key,
            { model: args.model, prompt: prompt(), max_tokens: maxTokens, temperature, seed, logprobs: 0 },
            (n, now) => {
                first ??= now;
                tokens += n;
                if (now <= windowEnd) inWindow += n;
            });
        if (error) {
            stats.errors.push(error);
            return;
        }
        stats.requests++;
        stats.tokens += tokens;
        stats.windowTokens += inWindow;
        if (first !== null) stats.ttft.push(first - started);
    } catch (e) {
        stats.errors.push(`${e?.name}: ${e?.message}`);
    }
}

const newStats = clients => ({ clients, requests: 0, errors: [], tokens: 0, windowTokens: 0, ttft: [], seconds: 0 });
let nextSeed = 1;

/** <clients> concurrent clients for <seconds>, added to <stats>. */
async function run(stats, seconds) {
    const start = performance.now(), windowEnd = start + seconds * 1000;
    // Each client sends its next request as soon as the previous one ends, until the window closes; requests in
    // flight then finish (their tokens after the window do not count toward throughput).
    await Promise.all(Array.from({ length: stats.clients }, async () => {
        while (performance.now() < windowEnd) await streamOnce(nextSeed++, windowEnd, stats);
    }));
    stats.seconds += seconds;
    return stats;
}

const summary = stats => ({
    clients: stats.clients,
    requests: stats.requests,
    errors: stats.errors.length,
    errorSamples: [...new Set(stats.errors)].slice(0, 3),
    tokens: stats.tokens,
    seconds: stats.seconds,
    tokensPerSecond: stats.windowTokens / stats.seconds,
    ttftP50Ms: percentile(stats.ttft, 50),
    ttftP99Ms: percentile(stats.ttft, 99),
});

// Warm-up: the first request builds the model; then the largest client count runs while the JIT settles.
{
    const warm = newStats(1);
    await streamOnce(0, Infinity, warm);
    if (warm.errors.length > 0) {
        console.error(`warm-up request failed: ${warm.errors[0]}`);
        process.exit(1);
    }
    if (warmup > 0) {
        const result = summary(await run(newStats(Math.max(...clientCounts)), warmup));
        console.error(`warm-up: ${result.clients} client(s) for ${warmup} s, ${result.tokensPerSecond.toFixed(1)} tokens/s, ${result.errors} errors`);
    }
}

// The time of each client count is split into <rounds> slices run in turn (1, 4, 8, 1, 4, 8, ...), so that a
// change in the machine's background load does not land on one client count only.
const all = clientCounts.map(newStats);
for (let round = 0; round < rounds; round++)
    for (const stats of all) {
        await run(stats, duration / rounds);
        console.error(`round ${round + 1}/${rounds}, ${stats.clients} client(s): ${stats.requests} requests, ${stats.errors.length} errors so far`);
    }
const results = all.map(summary);

const fmt = (x, digits = 1) => Number.isFinite(x) ? x.toFixed(digits) : '-';
const lines = [
    `| clients | requests | errors | aggregate tokens/s | TTFT p50 (ms) | TTFT p99 (ms) |`,
    `|---:|---:|---:|---:|---:|---:|`,
    ...results.map(r => `| ${r.clients} | ${r.requests} | ${r.errors} | ${fmt(r.tokensPerSecond)} | ${fmt(r.ttftP50Ms)} | ${fmt(r.ttftP99Ms)} |`),
];
const lowest = results.reduce((a, b) => (b.clients < a.clients ? b : a));
const highest = results.reduce((a, b) => (b.clients > a.clients ? b : a));
const ratio = highest.tokensPerSecond / lowest.tokensPerSecond;
if (highest !== lowest) lines.push('', `${highest.clients} vs ${lowest.clients} client(s): ${fmt(ratio, 2)}x aggregate tokens/s`);
const totalErrors = results.reduce((n, r) => n + r.errors, 0);
for (const r of results.filter(r => r.errors > 0)) lines.push(`errors with ${r.clients} client(s), e.g.: ${r.errorSamples.join(' | ')}`);
lines.push('', `settings: ${duration} s per client count (${rounds} interleaved slices) after a ${warmup} s warm-up, prompt ${promptTokens} tokens, max_tokens ${maxTokens}, temperature ${temperature}, model ${args.model}`);
console.log(lines.join('\n'));

let ok = totalErrors === 0;
if (minRatio !== null && highest !== lowest) {
    const reached = ratio >= minRatio;
    ok &&= reached;
    console.log(`\n${ok ? 'PASS' : 'FAIL'}: ${highest.clients}-client throughput ${reached ? '>=' : '<'} ${minRatio}x the ${lowest.clients}-client figure; ${totalErrors} failed requests`);
} else if (!ok) console.log(`\nFAIL: ${totalErrors} failed requests`);
if (args.json) writeFileSync(args.json, JSON.stringify({ settings: { duration, rounds, warmup, promptTokens, maxTokens, temperature, model: args.model }, results, ratio }, null, 2));
process.exit(ok ? 0 : 1);
