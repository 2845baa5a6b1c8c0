#!/usr/bin/env node
// Soak test for ModuleService: mixed traffic for a fixed time — streaming and plain completions, registry reads,
// dataset uploads and one pretrain job at a time in the background — while the API process's RSS is sampled. Then
// it reads back everything the run wrote (lib/soak-data.mjs verify) and prints a markdown summary: per traffic kind
// requests, errors and latency percentiles, RSS over time and its growth after the warm-up, data lost. Needs only
// Node.js >= 20, no packages. Driven by scripts/soak.sh, which starts the API.
//
//   node soak.mjs --url http://127.0.0.1:5080 --key KEY --model NAME [--duration 600] [--warmup SECONDS]
//       [--pid API_PID] [--rss-interval 5] [--max-rss-growth-mib 150] [--api-log FILE] [--vocab 512]
//       [--stream-clients 2] [--job-steps 40] [--job-grace 300] [--trained-every 4] [--json FILE]
//
// Latency percentiles leave out the warm-up (default a quarter of the run, at most 60 s: model loading and the JIT);
// requests and errors count the whole run. An error is any unexpected status, exception, stream without [DONE],
// failed job or line the API logged at level fail/crit during the run. Exit code 1 on any error, lost data or RSS
// growth over the limit (from the first sample after both the warm-up and the first training job to the last).
import { parseArgs } from 'node:util';
import { readFileSync, statSync } from 'node:fs';
import { streamCompletion } from './lib/completions.mjs';
import { corpus, listAll, manifestVersionIds, pretrainJob, sha256, verify } from './lib/soak-data.mjs';
import { printSummary } from './lib/soak-report.mjs';

const options = {
    url: { type: 'string' }, key: { type: 'string' }, model: { type: 'string' }, duration: { type: 'string', default: '600' },
    warmup: { type: 'string' }, pid: { type: 'string' }, 'rss-interval': { type: 'string', default: '5' },
    'max-rss-growth-mib': { type: 'string', default: '150' }, 'api-log': { type: 'string' }, vocab: { type: 'string', default: '512' },
    'stream-clients': { type: 'string', default: '2' }, 'job-steps': { type: 'string', default: '40' },
    'job-grace': { type: 'string', default: '300' }, 'trained-every': { type: 'string', default: '4' }, json: { type: 'string' },
};
let args;
try { ({ values: args } = parseArgs({ options, strict: true })); } catch (e) { console.error(e.message); process.exit(2); }
const num = name => Number(args[name]);
const duration = num('duration'), warmup = args.warmup === undefined ? Math.min(60, duration / 4) : num('warmup');
if (!args.url || !args.key || !args.model || [duration, warmup, num('rss-interval'), num('max-rss-growth-mib'), num('vocab'),
    num('stream-clients'), num('job-steps'), num('job-grace'), num('trained-every')].some(x => !(x >= 0))) {
    console.error('usage: node soak.mjs --url URL --key KEY --model NAME [--duration S] [--warmup S] [--pid PID] ... (see the header)');
    process.exit(2);
}
const base = args.url.replace(/\/$/, ''), key = args.key, model = args.model;
const api = (path, init = {}) => fetch(base + path, { ...init, headers: { Authorization: `Bearer ${key}`, ...init.headers } });
const postJson = (path, body) => api(path, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

const t0 = performance.now(), end = t0 + duration * 1000, warmEnd = t0 + warmup * 1000;
const elapsed = () => (performance.now() - t0) / 1000;
const kinds = new Map(['streaming completions', 'completions', 'registry reads', 'dataset uploads', 'training jobs']
    .map(k => [k, { requests: 0, errors: [], latency: [], ttft: [] }]));

/** Runs one request of <kind>: <fn> resolves to null (fine) or an error text, and may set ttft on its argument. */
async function timed(kind, fn) {
    const stats = kinds.get(kind), started = performance.now(), extra = {};
    let error;
    try { error = await fn(extra); } catch (e) { error = `${e?.name}: ${e?.message}`; }
    stats.requests++;
    if (error) stats.errors.push(error);
    else if (started >= warmEnd) {
        stats.latency.push(performance.now() - started);
        if (extra.ttft !== undefined) stats.ttft.push(extra.ttft - started);
    }
}
const expect = async (response, status) => response.status === status ? null : `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;

// What the run wrote, for the final read-back.
const written = { datasets: [], assemblies: [], versionIds: new Set() };
let latestTrained = null, firstJobDone = null, seed = 1;
const prompt = () => Array.from({ length: 16 }, () => 3 + (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) % (num('vocab') - 3));

async function upload(name, text) {
    const bytes = Buffer.from(text), expected = sha256(bytes);
    const response = await api(`/v1/datasets?name=${name}&format=text`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: bytes });
    if (response.status !== 201) return await expect(response, 201);
    const view = await response.json();
    written.datasets.push({ id: view.id, name, sha256: expected, bytes: bytes.length });
    return view.sha256 === expected && view.bytes === bytes.length ? null : `upload ${name} answered sha256 ${view.sha256}, ${view.bytes} bytes`;
}

async function rememberAssembly(name) {
    const detail = await (await api(`/v1/assemblies/${name}/versions/latest`)).json();
    written.assemblies.push({ name, version: detail.summary.version, manifestHash: detail.summary.manifestHash });
    manifestVersionIds(detail.manifest, written.versionIds);
}

const loops = {
    async stream() {
        await timed('streaming completions', extra => streamCompletion(`${base}/v1/completions`, key,
            { model, prompt: prompt(), max_tokens: 32, temperature: 1, seed, logprobs: 0 }, (n, now) => { extra.ttft ??= now; }));
    },
    async plain() {
        // Every fourth request (--trained-every) goes to the newest pretrained model, so the model cache loads models too.
        const every = num('trained-every'), target = latestTrained && every > 0 && seed % every === 0 ? latestTrained : model;
        await timed('completions', async () => {
            const response = await postJson('/v1/completions', { model: target, prompt: prompt(), max_tokens: 16, temperature: 0.8, seed });
            if (response.status !== 200) return await expect(response, 200);
            const body = await response.json();
            return body.choices?.[0]?.finish_reason ? null : `no finish_reason in ${JSON.stringify(body).slice(0, 200)}`;
        });
    },
    async registry() {
        const dataset = written.datasets.at(-1)?.id, version = [...written.versionIds].at(seed % Math.max(1, written.versionIds.size));
        const paths = ['/v1/models', '/v1/modules?limit=20', '/v1/module-versions?limit=20', '/v1/assemblies', `/v1/assemblies/${model}/versions/latest`,
            '/v1/families', '/v1/datasets?limit=20', '/v1/jobs?limit=10', `/v1/assemblies/${model}/versions/latest/usage`, '/metrics', '/readyz',
            ...(dataset ? [`/v1/datasets/${dataset}`] : []), ...(version ? [`/v1/module-versions/${version}`] : [])];
        for (const path of paths)
            await timed('registry reads', async () => {
                const response = await api(path);
                if (response.status !== 200) return await expect(response, 200);
                if (path === '/metrics' || path === '/readyz') await response.text(); else await response.json();
                return null;
            });
        await sleep(200);
    },
    async upload() {
        const n = written.datasets.length;
        await timed('dataset uploads', () => upload(`soak-upload-${process.pid}-${n}-${seed}`, corpus(`${n}/${Date.now()}`, 3, n + 1)));
        await sleep(2000);
    },
    async training() {
        const n = written.assemblies.length, name = `soak-pretrain-${process.pid}-${n}`;
        await timed('training jobs', async () => {
            const dataset = `soak-train-${process.pid}-${n}`;
            const uploaded = await upload(dataset, corpus(`${dataset}/${Date.now()}`, 40, 7 + n));
            if (uploaded) return `training dataset: ${uploaded}`;
            const submitted = await postJson('/v1/jobs', pretrainJob(name, dataset, n + 1, num('job-steps')));
            if (submitted.status !== 202) return await expect(submitted, 202);
            const { id } = await submitted.json();
            const deadline = end + num('job-grace') * 1000;
            for (;;) {
                await sleep(2000);
                const job = await (await api(`/v1/jobs/${id}`)).json();
                if (job.status === 'succeeded') break;
                if (['failed', 'cancelled'].includes(job.status)) return `job ${id} ${job.status}: ${job.error}`;
                if (performance.now() > deadline) {
                    await api(`/v1/jobs/${id}/cancel`, { method: 'POST' });
                    return `job ${id} still ${job.status} at step ${job.progress?.step}/${job.progress?.total} ${num('job-grace')} s after the run`;
                }
            }
            await rememberAssembly(name);
            latestTrained = name;
            firstJobDone ??= elapsed();
            return null;
        });
    },
};

const rss = [];
function sampleRss() {
    if (!args.pid) return;
    try {
        const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${args.pid}/status`, 'utf8'))?.[1]);
        rss.push({ seconds: Math.round(elapsed()), mib: kb / 1024 });
    } catch (e) { kinds.get('registry reads').errors.push(`RSS sample: ${e.message} (did the API exit?)`); }
}

// Only what the API logs from here on counts (a fresh database logs a failed migration-history query at start).
const logStart = args['api-log'] ? statSync(args['api-log']).size : 0;
await rememberAssembly(model);
for (const v of await listAll(api, '/v1/module-versions')) written.versionIds.add(v.id);
sampleRss();
const sampler = setInterval(sampleRss, num('rss-interval') * 1000);
const forever = loop => async () => { while (performance.now() < end) await loop(); };
await Promise.all([
    ...Array.from({ length: num('stream-clients') }, forever(loops.stream)),
    forever(loops.plain)(), forever(loops.registry)(), forever(loops.upload)(), forever(loops.training)(),
]);
clearInterval(sampler);
sampleRss();
const trafficSeconds = elapsed();
console.error(`traffic ended after ${trafficSeconds.toFixed(0)} s; reading back what the run wrote`);

const check = await verify(api, written);
// The console logger writes "fail: Category[id]" and the message indented on the next line.
const logLines = args['api-log'] ? readFileSync(args['api-log']).subarray(logStart).toString().split('\n') : [];
const logErrors = logLines.flatMap((l, i) => /^(fail|crit): /.test(l) ? [`${l} ${(logLines[i + 1] ?? '').trim()}`.slice(0, 400)] : []);
// Training's first run allocates for good too (optimizer, autograd, the trainer's JIT): RSS growth counts from after it.
const rssFrom = Math.max(warmup, firstJobDone ?? 0);
const ok = printSummary({ kinds, rss, warmup, rssFrom, duration, trafficSeconds, check, logErrors, maxGrowth: num('max-rss-growth-mib'), json: args.json, model });
process.exit(ok ? 0 : 1);
