// Drives MambaServe's Responses API with the official openai npm package, unchanged: create, continue with
// previous_response_id while streaming, retrieve, delete (after which continuing it is the package's BadRequestError
// with code previous_response_not_found, what clients that resend the whole conversation look for); a forced function call streamed through the package's
// stream helper (which rebuilds the response from the events), and its output sent back to continue; the answered
// response's input items listed one a page through the package's auto-paginating iterator; the input tokens of both
// turns counted (responses.inputTokens.count) before they are sent.
// Prints one JSON line of what it saw for the .NET test to check.
// Usage: node responses.mjs http://127.0.0.1:PORT MODEL
import OpenAI from 'openai';

const [baseUrl, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });

const firstCount = await client.responses.inputTokens.count({
  model, input: 'Tell me about the jury.', instructions: 'You are a reporter.',
});
const first = await client.responses.create({
  model, input: 'Tell me about the jury.', instructions: 'You are a reporter.', max_output_tokens: 6, temperature: 0,
});

const secondCount = await client.responses.inputTokens.count({
  model, input: 'And then?', instructions: 'You are a reporter.', previous_response_id: first.id,
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
let continuedGone = null;
try {
  await client.responses.create({ model, input: 'And then?', previous_response_id: final.id, max_output_tokens: 2 });
} catch (error) {
  continuedGone = { status: error.status, badRequest: error instanceof OpenAI.BadRequestError, code: error.code, param: error.param };
}

const weather = {
  type: 'function', name: 'get_weather', description: 'The weather in a city', strict: true,
  parameters: {
    type: 'object', properties: { city: { type: 'string', maxLength: 24 }, unit: { enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'unit'], additionalProperties: false,
  },
};
const callStream = client.responses.stream({
  model, input: 'What is the weather in Paris?', tools: [weather], tool_choice: { type: 'function', name: 'get_weather' },
  max_output_tokens: 60, temperature: 0,
});
let argumentDeltas = '';
callStream.on('response.function_call_arguments.delta', (event) => { argumentDeltas += event.delta; });
const called = await callStream.finalResponse();
const call = called.output.find((item) => item.type === 'function_call');
const answered = await client.responses.create({
  model, previous_response_id: called.id, input: [{ type: 'function_call_output', call_id: call.call_id, output: '18 C and sunny' }],
  max_output_tokens: 4, temperature: 0,
});
const inputItems = [];
for await (const item of client.responses.inputItems.list(answered.id, { limit: 1, order: 'asc' })) {
  inputItems.push({ type: item.type, id: item.id, role: item.role ?? null, callId: item.call_id ?? null });
}

console.log(JSON.stringify({
  call: { name: call.name, id: call.id, callId: call.call_id, arguments: call.arguments, argumentDeltas, items: called.output.length },
  inputItems,
  answered: { status: answered.status, types: answered.output.map((item) => item.type), previous: answered.previous_response_id, calledId: called.id },
  first: { id: first.id, text: first.output_text, usage: first.usage },
  second: { id: final.id, deltas, previous: final.previous_response_id, usage: final.usage, types },
  fetchedText: fetched.output_text,
  counts: [firstCount, secondCount],
  goneStatus,
  continuedGone,
}));
