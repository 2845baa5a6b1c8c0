#!/usr/bin/env node
// Load generator for ModuleService's /v1/completions: for each client count, that many concurrent clients each send
// streaming completions back to back for a fixed time. Reports requests, errors, aggregate generated tokens/s (tokens
// that arrived within the window / window length), time to first token (p50/p99) and the ratio of the largest to
// the smallest client count's throughput. Needs only Node.js >= 20 (built-in fetch), no packages.
//
//   node bench.mjs --base-url http://127.0.0.1:5080/v1 --key KEY --model NAME \
//       [--clients 1,4,8] [--duration 20] [--prompt-tokens 16] [--max-tokens 64] [--vocab 512] \
//       [--temperature 1] [--min-ratio 3] [--json FILE]
//
// Exit code: 0 when no request failed and (with --min-ratio) the ratio is reached; 1 otherwise; 2 on bad usage.
import { parseArgs } from 'node:util';
import { writeFileSync } from 'node:fs';

const usage = 'usage: node bench.mjs --base-url URL --key KEY --model NAME [--clients 1,4,8] [--duration SECONDS] ' +
    '[--prompt-tokens N] [--max-tokens N] [--vocab N] [--temperature T] [--min-ratio R] [--json FILE]';
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
const vocab = Number(args.vocab), temperature = Number(args.temperature);
const minRatio = args['min-ratio'] === undefined ? null : Number(args['min-ratio']);
if (!args['base-url'] || !args.key || !args.model || clientCounts.some(n => !Number.isInteger(n) || n < 1)
    || [duration, promptTokens, maxTokens, vocab, temperature].some(Number.isNaN) || Number.isNaN(minRatio)) {
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
    let first = null, tokens = 0, inWindow = 0, finish = null, done = false;
    try {
        const response = await fetch(url, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${args.key}` },
            body: JSON.stringify({ model: args.model, prompt: prompt(), max_tokens: maxTokens, temperature, seed, logprobs: 0, stream: true }),
        });
        if (response.status !== 200) {
            stats.errors.push(`HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`);
            return;
        }
        const decoder = new TextDecoder();
        let buffer = '';
        for await (const bytes of response.body) {
            buffer += decoder.decode(bytes, { stream: true });
            let end;
            while ((end = buffer.indexOf('\n\n')) >= 0) {
                const event = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                if (!event.startsWith('data: ')) continue;
                const data = event.slice(6);
                if (data === '[DONE]') { done = true; continue; }
                const choice = JSON.parse(data).choices[0];
                const n = choice.logprobs?.tokens?.length ?? 0;
                if (n > 0) {
                    const now = performance.now();
                    first ??= now;
                    tokens += n;
                    if (now <= windowEnd) inWindow += n;
                }
                if (choice.finish_reason) finish = choice.finish_reason;
            }
        }
        if (!done || !finish) {
            stats.errors.push(`stream ended without ${done ? 'a finish_reason' : 'data: [DONE]'}`);
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

function percentile(values, p) {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function run(clients) {
    const stats = { clients, requests: 0, errors: [], tokens: 0, windowTokens: 0, ttft: [] };
    const start = performance.now(), windowEnd = start + duration * 1000;
    let seed = clients * 1_000_000;
    // Each client sends its next request as soon as the previous one ends, until the window closes; requests in
    // flight then finish (their tokens after the window do not count toward throughput).
    await Promise.all(Array.from({ length: clients }, async () => {
        while (performance.now() < windowEnd) await streamOnce(seed++, windowEnd, stats);
    }));
    return {
        clients,
        requests: stats.requests,
        errors: stats.errors.length,
        errorSamples: [...new Set(stats.errors)].slice(0, 3),
        tokens: stats.tokens,
        tokensPerSecond: stats.windowTokens / duration,
        ttftP50Ms: percentile(stats.ttft, 50),
        ttftP99Ms: percentile(stats.ttft, 99),
    };
}

// Warm-up: the first request builds the model.
{
    const warm = { requests: 0, errors: [], tokens: 0, windowTokens: 0, ttft: [] };
    await streamOnce(1, Infinity, warm);
    if (warm.errors.length > 0) {
        console.error(`warm-up request failed: ${warm.errors[0]}`);
        process.exit(1);
    }
}

const results = [];
for (const clients of clientCounts) {
    const result = await run(clients);
    results.push(result);
    console.error(`${clients} client(s): ${result.requests} requests, ${result.errors} errors, ${result.tokensPerSecond.toFixed(1)} tokens/s`);
}

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
lines.push('', `settings: ${duration} s per client count, prompt ${promptTokens} tokens, max_tokens ${maxTokens}, temperature ${temperature}, model ${args.model}`);
console.log(lines.join('\n'));

let ok = totalErrors === 0;
if (minRatio !== null && highest !== lowest) {
    const reached = ratio >= minRatio;
    console.log(`\n${reached ? 'PASS' : 'FAIL'}: ${highest.clients}-client throughput ${reached ? '>=' : '<'} ${minRatio}x the ${lowest.clients}-client figure; ${totalErrors} failed requests`);
    ok &&= reached;
}
if (args.json) writeFileSync(args.json, JSON.stringify({ settings: { duration, promptTokens, maxTokens, temperature, model: args.model }, results, ratio }, null, 2));
process.exit(ok ? 0 : 1);
