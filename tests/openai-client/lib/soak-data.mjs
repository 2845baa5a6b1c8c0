// What the soak writes and how it checks afterwards that all of it is still there: small unique text datasets, the
// pretrain job's body, and the end-of-run verification of datasets, module versions and assemblies by sha256.
import { createHash } from 'node:crypto';

export const sha256 = bytes => createHash('sha256').update(bytes).digest('hex');

const subjects = ['the cat', 'a small dog', 'the old man', 'my sister', 'the teacher', 'a farmer', 'the children', 'our neighbour'];
const verbs = ['walks to', 'looks at', 'talks about', 'finds', 'likes', 'reads about', 'waits for', 'thinks of'];
const objects = ['the river', 'a green garden', 'the market', 'an old book', 'the quiet house', 'the morning light', 'a long road', 'the school'];

/** <documents> English-like documents separated by blank lines; the first names <tag>, so every corpus is unique. */
export function corpus(tag, documents, seed) {
    let state = seed >>> 0 || 1;
    const next = n => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) % n;
    const docs = Array.from({ length: documents }, () => Array.from({ length: 2 + next(3) }, () => {
        const s = `${subjects[next(subjects.length)]} ${verbs[next(verbs.length)]} ${objects[next(objects.length)]}.`;
        return s[0].toUpperCase() + s.slice(1);
    }).join(' '));
    docs[0] = `Soak corpus ${tag}. ${docs[0]}`;
    return docs.join('\n\n') + '\n';
}

/** A short pretrain of a tiny model (the shape of tests/Api.Tests/Jobs/JobHttp.TinyConfig). */
export const pretrainJob = (name, dataset, seed, steps) => ({
    type: 'pretrain', name, dataset, seed, steps, batchSize: 4, sequenceLength: 32, evalTokens: 256, checkpointEvery: 10,
    config: {
        model_type: 'moduleformer', vocab_size: 1088, n_embd: 32, n_layer: 2, n_head: 1, att_hidden: 32, ffd_hidden: 32,
        n_att_experts: 2, k_att: 1, n_mlp_experts: 4, k_mlp: 2, gating_size: 8, block_size: 64, history_length: 64,
        modsvc_tokenizer: 'tiny-k1024',
    },
});

/** Every module version id a manifest refers to, wherever it sits (embedding, head, per-layer experts). */
export function manifestVersionIds(node, ids = new Set()) {
    if (Array.isArray(node)) node.forEach(n => manifestVersionIds(n, ids));
    else if (node && typeof node === 'object')
        for (const [k, v] of Object.entries(node)) k === 'versionId' ? ids.add(v) : manifestVersionIds(v, ids);
    return ids;
}

/** All items of a paged list endpoint. */
export async function listAll(api, path) {
    const items = [];
    for (let offset = 0; ; offset += 500) {
        const page = await (await api(`${path}${path.includes('?') ? '&' : '?'}limit=500&offset=${offset}`)).json();
        items.push(...page.items);
        if (page.items.length === 0 || items.length >= page.total) return items;
    }
}

/** <fn> over <items>, four at a time (the read-back of a long run is a few thousand requests). */
async function inParallel(items, fn) {
    let next = 0;
    await Promise.all(Array.from({ length: 4 }, async () => { while (next < items.length) await fn(items[next++]); }));
}

/**
 * Reads back everything the run wrote or found: each uploaded dataset (metadata and downloaded bytes against the sha256
 * and length computed before the upload), each assembly (its manifest hash), each module version seen at any time
 * (present, and its weights against its sha256 and size). Returns counts and a description of each loss.
 */
export async function verify(api, { datasets, assemblies, versionIds }) {
    const lost = [];
    await inParallel(datasets, async d => {
        const view = await api(`/v1/datasets/${d.id}`);
        const meta = view.status === 200 ? await view.json() : null;
        const body = await api(`/v1/datasets/${d.id}/download`);
        const bytes = body.status === 200 ? Buffer.from(await body.arrayBuffer()) : null;
        if (meta?.sha256 !== d.sha256 || meta?.bytes !== d.bytes || !bytes || bytes.length !== d.bytes || sha256(bytes) !== d.sha256)
            lost.push(`dataset ${d.name} (${d.id}): metadata HTTP ${view.status}, download HTTP ${body.status}, ` +
                      `${bytes?.length ?? 0} of ${d.bytes} bytes, sha256 ${bytes ? sha256(bytes).slice(0, 12) : '-'} (expected ${d.sha256.slice(0, 12)})`);
    });
    await inParallel(assemblies, async a => {
        const response = await api(`/v1/assemblies/${a.name}/versions/${a.version}`);
        const hash = response.status === 200 ? (await response.json()).summary?.manifestHash : null;
        if (hash !== a.manifestHash) lost.push(`assembly ${a.name}@${a.version}: HTTP ${response.status}, manifest hash ${hash}`);
    });
    const versions = new Map((await listAll(api, '/v1/module-versions')).map(v => [v.id, v]));
    for (const id of versionIds) if (!versions.has(id)) lost.push(`module version ${id}: not listed any more`);
    await inParallel([...versions.values()], async v => {
        const response = await api(`/v1/module-versions/${v.id}/weights`);
        const bytes = response.status === 200 ? Buffer.from(await response.arrayBuffer()) : null;
        if (!bytes || bytes.length !== v.size || sha256(bytes) !== v.sha256)
            lost.push(`module version ${v.module} v${v.version} (${v.id}): HTTP ${response.status}, ${bytes?.length ?? 0} of ${v.size} bytes`);
    });
    return { datasets: datasets.length, assemblies: assemblies.length, moduleVersions: versions.size, lost };
}
