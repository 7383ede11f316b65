// Drives MambaServe's Responses API with the official openai npm package, unchanged: create, continue with
// previous_response_id while streaming, retrieve, delete. Prints one JSON line of what it saw for the .NET test to check.
// Usage: node responses.mjs http://127.0.0.1:PORT MODEL
import OpenAI from 'openai';

const [baseUrl, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });

const first = await client.responses.create({
  model, input: 'Tell me about the jury.', instructions: 'You are a reporter.', max_output_tokens: 6, temperature: 0,
});

const stream = await client.responses.create({
  model, input: 'And then?', instructions: 'You are a reporter.', previous_response_id: first.id,
  max_output_tokens: 6, temperature: 0, stream: true,
});
let deltas = '';
let final = null;
const types = [];
for await (const event of stream) {
  types.push(event.type);
  if (event.type === 'response.output_text.delta') deltas += event.delta;
  if (event.type === 'response.completed' || event.type === 'response.incomplete') final = event.response;
}

const fetched = await client.responses.retrieve(final.id);
await client.responses.delete(final.id);
let goneStatus = 0;
try {
  await client.responses.retrieve(final.id);
} catch (error) {
  goneStatus = error.status;
}

console.log(JSON.stringify({
  first: { id: first.id, text: first.output_text, usage: first.usage },
  second: { id: final.id, deltas, previous: final.previous_response_id, usage: final.usage, types },
  fetchedText: fetched.output_text,
  goneStatus,
}));
