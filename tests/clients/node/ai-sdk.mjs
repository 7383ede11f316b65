// Drives MambaServe's Responses API with the AI SDK (ai + @ai-sdk/openai's responses model), unchanged: a first turn
// with generateText, then the conversation (its answer among the messages) continued with streamText. With store on
// (the provider's default) the provider sends the earlier answer as an item_reference to its id; the same conversation
// sent with store off carries the answer by value, so both second answers (greedy) must agree.
// Prints one JSON line of what it saw for the .NET test to check.
// Usage: node ai-sdk.mjs http://127.0.0.1:PORT MODEL
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';

const [baseUrl, model] = process.argv.slice(2);
const bodies = [];
const provider = createOpenAI({
  baseURL: `${baseUrl}/v1`, apiKey: 'unused',
  fetch: async (url, init) => { bodies.push(JSON.parse(init.body)); return fetch(url, init); },
});
const settings = { model: provider.responses(model), system: 'You are a reporter.', maxOutputTokens: 8, temperature: 0, maxRetries: 0 };

const messages = [{ role: 'user', content: 'Tell me about the jury.' }];
const first = await generateText({ ...settings, messages });
messages.push(...first.response.messages, { role: 'user', content: 'And then?' });

const second = streamText({ ...settings, messages });
let streamed = '';
for await (const delta of second.textStream) streamed += delta;

const byValue = await generateText({ ...settings, messages, providerOptions: { openai: { store: false } } });

console.log(JSON.stringify({
  first: first.text,
  second: streamed,
  byValue: byValue.text,
  referenced: bodies[1].input.filter((item) => item.type === 'item_reference').map((item) => item.id),
  firstMessageId: first.response.messages[0]?.content?.[0]?.providerOptions?.openai?.itemId ?? null,
  byValueTypes: bodies[2].input.map((item) => item.type ?? item.role),
}));
