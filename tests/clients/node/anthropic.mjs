// Drives MambaServe's Anthropic Messages API with the official @anthropic-ai/sdk npm package, unchanged: create,
// stream through the package's MessageStream helper (which rebuilds the message from the events), count_tokens; a
// forced tool_use streamed (its input through the helper's inputJson events), then its tool_result continuing; and a
// bad request as the package's error. Prints one JSON line of what it saw for the .NET test to check.
// This package version has no sampling fields in its types; the API takes temperature, which is sent as given.
// Usage: node anthropic.mjs http://127.0.0.1:PORT MODEL
import Anthropic from '@anthropic-ai/sdk';

const [baseUrl, model] = process.argv.slice(2);
const client = new Anthropic({ baseURL: baseUrl, apiKey: 'unused', maxRetries: 0 });

const ask = {
  model, max_tokens: 12, temperature: 0, system: 'You are a reporter.',
  messages: [{ role: 'user', content: 'Tell me about the jury.' }],
};
const message = await client.messages.create(ask);
const stream = client.messages.stream(ask);
let deltas = '';
stream.on('text', (text) => { deltas += text; });
const streamed = await stream.finalMessage();
const count = await client.messages.countTokens({ model, system: ask.system, messages: ask.messages });

const weather = {
  name: 'get_weather', description: 'The weather in a city',
  input_schema: {
    type: 'object', properties: { city: { type: 'string', maxLength: 24 }, unit: { enum: ['celsius', 'fahrenheit'] } },
    required: ['city', 'unit'], additionalProperties: false,
  },
};
const question = { role: 'user', content: 'What is the weather in Paris?' };
const toolStream = client.messages.stream({
  model, max_tokens: 60, temperature: 0, tools: [weather], tool_choice: { type: 'tool', name: 'get_weather' }, messages: [question],
});
let inputDeltas = '';
toolStream.on('inputJson', (partial) => { inputDeltas += partial; });
const called = await toolStream.finalMessage();
const use = called.content.find((block) => block.type === 'tool_use');
const answered = await client.messages.create({
  model, max_tokens: 6, temperature: 0, tools: [weather], tool_choice: { type: 'none' },
  messages: [question, { role: 'assistant', content: called.content }, {
    role: 'user', content: [{ type: 'tool_result', tool_use_id: use.id, content: '18 C and sunny' }],
  }],
});

let refused = null;
try {
  await client.messages.create({ ...ask, max_tokens: 0 });
} catch (error) {
  refused = { status: error.status, type: error.error?.error?.type ?? null, isBadRequest: error instanceof Anthropic.BadRequestError };
}

console.log(JSON.stringify({
  message: { id: message.id, text: message.content[0]?.text, stopReason: message.stop_reason, usage: message.usage },
  streamed: { text: streamed.content[0]?.text, deltas, stopReason: streamed.stop_reason },
  count: count.input_tokens,
  call: { name: use?.name, input: use?.input, inputDeltas, stopReason: called.stop_reason, blocks: called.content.length },
  answered: { types: answered.content.map((block) => block.type), inputTokens: answered.usage.input_tokens, calledInputTokens: called.usage.input_tokens },
  refused,
}));
