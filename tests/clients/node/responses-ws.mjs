// Drives MambaServe's Responses WebSocket (OpenAI's WebSocket mode) with the official openai npm package's ResponsesWS,
// unchanged: two turns on one socket with store: false (the second continues the first by previous_response_id, from
// the state the socket keeps), an unknown previous_response_id answered by an error event with the socket left open, a
// stored turn after it, and the same two turns over HTTP to compare with.
// Prints one JSON line of what it saw for the .NET test to check.
// Usage: node responses-ws.mjs http://127.0.0.1:PORT MODEL
import OpenAI from 'openai';
import { ResponsesWS } from 'openai/resources/responses/ws';

const [baseUrl, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
const ws = new ResponsesWS(client);
const errors = [];
ws.on('error', (error) => errors.push(error.error ?? { message: error.message }));
await new Promise((resolve, reject) => { ws.socket.once('open', resolve); ws.socket.once('error', reject); });

// Sends one response.create and gathers its events up to the last one (or the error event that answers it).
async function turn(body) {
  const types = [];
  let deltas = '';
  const errorsBefore = errors.length;
  const done = new Promise((resolve) => {
    const onEvent = (event) => {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') deltas += event.delta;
      const last = ['response.completed', 'response.incomplete', 'response.failed'].includes(event.type);
      if (last || event.type === 'error') {
        ws.off('event', onEvent);
        resolve(last ? event.response : null);
      }
    };
    ws.on('event', onEvent);
  });
  ws.send({ type: 'response.create', model, max_output_tokens: 6, temperature: 0, ...body });
  const response = await done;
  return { types, deltas, response, error: errors.length > errorsBefore ? errors[errors.length - 1] : null };
}

const instructions = 'You are a reporter.';
const first = await turn({ input: 'Tell me about the jury.', instructions, store: false });
const second = await turn({ input: 'And then?', instructions, store: false, previous_response_id: first.response.id });
const unknown = await turn({ input: 'Hi', previous_response_id: 'resp_000000000000000000000000000000000000000000000000' });
const stored = await turn({ input: 'Tell me about the jury.', instructions });
ws.close();

let unstoredStatus = 0;
try {
  await client.responses.retrieve(first.response.id);
} catch (error) {
  unstoredStatus = error.status;
}
const fetched = await client.responses.retrieve(stored.response.id);
const httpFirst = await client.responses.create({ model, input: 'Tell me about the jury.', instructions, max_output_tokens: 6, temperature: 0 });
const httpSecond = await client.responses.create({
  model, input: 'And then?', instructions, previous_response_id: httpFirst.id, max_output_tokens: 6, temperature: 0,
});

const summary = (t) => ({
  types: t.types, deltas: t.deltas, id: t.response?.id ?? null, text: t.response?.output_text ?? t.response?.output?.[0]?.content?.[0]?.text ?? null,
  status: t.response?.status ?? null, store: t.response?.store ?? null, usage: t.response?.usage ?? null, previous: t.response?.previous_response_id ?? null,
  error: t.error,
});
console.log(JSON.stringify({
  first: summary(first), second: summary(second), unknown: summary(unknown), stored: summary(stored),
  unstoredStatus, fetchedText: fetched.output_text,
  http: { first: httpFirst.output_text, second: httpSecond.output_text, cached: httpSecond.usage.input_tokens_details.cached_tokens },
}));
