#!/usr/bin/env node
// Drives ModuleService's OpenAI-compatible API with the official OpenAI Node.js client (npm "openai") and checks
// what comes back: plain and streamed completions (prompt as token ids), plain and streamed chat completions, the
// model list and the client's error types. Prints one JSON object; exits 1 if any check fails, 2 on bad usage.
//
//   node check.mjs --base-url http://127.0.0.1:5080/v1 --key KEY --model NAME \
//       [--prompt-ids 464,318,257] [--max-tokens 12] [--chat "Say hello."] \
//       [--expect-completion TEXT] [--expect-chat TEXT]
//
// --expect-* are the greedy texts the caller computed itself (e.g. the xunit test through plain HTTP); without them
// the script still checks that the streamed texts equal the non-streamed ones.
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { VERSION } from 'openai/version';

const usage = 'usage: node check.mjs --base-url URL --key KEY --model NAME [--prompt-ids 1,2,3] [--max-tokens N] ' +
    '[--chat TEXT] [--expect-completion TEXT] [--expect-chat TEXT]';
let args;
try {
    ({ values: args } = parseArgs({
        options: {
            'base-url': { type: 'string' },
            key: { type: 'string' },
            model: { type: 'string' },
            'prompt-ids': { type: 'string', default: '464,318,257,640,286,262,995,13' },
            'max-tokens': { type: 'string', default: '12' },
            chat: { type: 'string', default: 'Say hello to the world.' },
            'expect-completion': { type: 'string' },
            'expect-chat': { type: 'string' },
        },
        strict: true,
    }));
} catch (e) {
    console.error(`${e.message}\n${usage}`);
    process.exit(2);
}
if (!args['base-url'] || !args.key || !args.model) {
    console.error(usage);
    process.exit(2);
}

const model = args.model;
const promptIds = args['prompt-ids'].split(',').map(s => Number.parseInt(s.trim(), 10));
const maxTokens = Number.parseInt(args['max-tokens'], 10);
if (promptIds.some(Number.isNaN) || Number.isNaN(maxTokens)) {
    console.error(`--prompt-ids and --max-tokens take integers\n${usage}`);
    process.exit(2);
}
const client = new OpenAI({ baseURL: args['base-url'], apiKey: args.key, maxRetries: 0, timeout: 120_000 });

const checks = [];
const results = {};
function check(name, ok, detail) {
    checks.push({ name, ok: Boolean(ok), ...(detail === undefined ? {} : { detail }) });
}

async function step(name, body) {
    try {
        await body();
    } catch (e) {
        check(name, false, `threw ${e?.constructor?.name}: ${e?.message}`);
    }
}

await step('models.list', async () => {
    const ids = [];
    for await (const m of client.models.list()) ids.push(m.id);
    results.models = ids;
    check('models.list contains the model', ids.includes(model), ids);
});

await step('completions.create', async () => {
    const completion = await client.completions.create({ model, prompt: promptIds, max_tokens: maxTokens, temperature: 0 });
    const choice = completion.choices[0];
    results.completion = { text: choice?.text, finish_reason: choice?.finish_reason, usage: completion.usage };
    check('completion: object is text_completion', completion.object === 'text_completion', completion.object);
    check('completion: one choice with text', completion.choices.length === 1 && typeof choice.text === 'string' && choice.text.length > 0);
    check('completion: finish_reason present', ['length', 'stop'].includes(choice?.finish_reason), choice?.finish_reason);
    check('completion: usage counts the prompt', completion.usage?.prompt_tokens === promptIds.length, completion.usage);
    if (args['expect-completion'] !== undefined)
        check('completion: text equals the expected greedy text', choice?.text === args['expect-completion'],
            { got: choice?.text, expected: args['expect-completion'] });
});

await step('completions.create stream', async () => {
    const stream = await client.completions.create({ model, prompt: promptIds, max_tokens: maxTokens, temperature: 0, stream: true });
    let text = '', chunks = 0, finish = null;
    for await (const chunk of stream) {
        chunks++;
        for (const choice of chunk.choices) {
            text += choice.text ?? '';
            if (choice.finish_reason) finish = choice.finish_reason;
        }
    }
    results.completionStream = { text, chunks, finish_reason: finish };
    check('completion stream: several chunks', chunks > 1, chunks);
    check('completion stream: finish_reason present', ['length', 'stop'].includes(finish), finish);
    check('completion stream: concatenation equals the plain completion', text === results.completion?.text,
        { streamed: text, plain: results.completion?.text });
});

const messages = [{ role: 'system', content: 'You are terse.' }, { role: 'user', content: args.chat }];

await step('chat.completions.create', async () => {
    const chat = await client.chat.completions.create({ model, messages, max_tokens: maxTokens, temperature: 0 });
    const choice = chat.choices[0];
    results.chat = { message: choice?.message, finish_reason: choice?.finish_reason, usage: chat.usage };
    check('chat: object is chat.completion', chat.object === 'chat.completion', chat.object);
    check('chat: assistant message', choice?.message?.role === 'assistant' && typeof choice.message.content === 'string', choice?.message);
    check('chat: finish_reason present', ['length', 'stop'].includes(choice?.finish_reason), choice?.finish_reason);
    if (args['expect-chat'] !== undefined)
        check('chat: content equals the expected greedy reply', choice?.message?.content === args['expect-chat'],
            { got: choice?.message?.content, expected: args['expect-chat'] });
});

await step('chat.completions.create stream', async () => {
    const stream = await client.chat.completions.create({ model, messages, max_tokens: maxTokens, temperature: 0, stream: true });
    let content = '', role = null, chunks = 0, finish = null;
    const objects = new Set();
    for await (const chunk of stream) {
        chunks++;
        objects.add(chunk.object);
        for (const choice of chunk.choices) {
            role ??= choice.delta?.role ?? null;
            content += choice.delta?.content ?? '';
            if (choice.finish_reason) finish = choice.finish_reason;
        }
    }
    results.chatStream = { role, content, chunks, finish_reason: finish };
    check('chat stream: chunks are chat.completion.chunk', chunks > 1 && objects.size === 1 && objects.has('chat.completion.chunk'), [...objects]);
    check('chat stream: first delta has the assistant role', role === 'assistant', role);
    check('chat stream: finish_reason present', ['length', 'stop'].includes(finish), finish);
    check('chat stream: concatenation equals the plain reply', content === results.chat?.message?.content,
        { streamed: content, plain: results.chat?.message?.content });
});

await step('errors', async () => {
    try {
        await client.completions.create({ model: `${model}-does-not-exist`, prompt: promptIds, max_tokens: 1 });
        check('unknown model: NotFoundError with code model_not_found', false, 'no error');
    } catch (e) {
        check('unknown model: NotFoundError with code model_not_found', e instanceof OpenAI.NotFoundError && e.status === 404
            && e.code === 'model_not_found' && e.param === 'model', `${e?.constructor?.name} ${e?.status} ${e?.code} ${e?.param}: ${e?.message}`);
    }
    try {
        await client.completions.create({ model, prompt: promptIds, max_tokens: 1, temperature: 7 });
        check('bad temperature: BadRequestError naming the param', false, 'no error');
    } catch (e) {
        check('bad temperature: BadRequestError naming the param', e instanceof OpenAI.BadRequestError && e.status === 400
            && e.param === 'temperature' && !e.message.includes('no body'), `${e?.constructor?.name} ${e?.status} ${e?.param}: ${e?.message}`);
    }
});

const ok = checks.length > 0 && checks.every(c => c.ok);
console.log(JSON.stringify({ ok, client: `openai ${VERSION}`, checks, results }, null, 2));
process.exit(ok ? 0 : 1);
