// Shared by bench.mjs and soak.mjs: one streaming /v1/completions request read as server-sent events, and percentiles.

/**
 * POSTs <body> with stream: true and reads the events to the end. <onTokens>(n, now) is called for each chunk that
 * carries n > 0 tokens (counted from logprobs.tokens, so ask for logprobs: 0). Resolves to null when the stream ended
 * with a finish_reason and data: [DONE], otherwise to a description of what went wrong; network errors reject.
 */
export async function streamCompletion(url, key, body, onTokens = () => {}) {
    const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${key}` },
        body: JSON.stringify({ ...body, stream: true }),
    });
    if (response.status !== 200) return `HTTP ${response.status}: ${(await response.text()).slice(0, 200)}`;
    const decoder = new TextDecoder();
    let buffer = '', finish = null, done = false;
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
            if (n > 0) onTokens(n, performance.now());
            if (choice.finish_reason) finish = choice.finish_reason;
        }
    }
    if (!done || !finish) return `stream ended without ${done ? 'a finish_reason' : 'data: [DONE]'}`;
    return null;
}

/** The nearest-rank percentile; NaN for no values. */
export function percentile(values, p) {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
