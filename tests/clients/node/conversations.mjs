// Drives MambaServe's Conversations API with the official openai npm package, unchanged: a conversation created with
// a first item and metadata, two responses made in it (the second streamed), an item appended, the items paged through
// with the package's auto-paginating iterator, one read back and one deleted, the metadata updated, the conversation
// read and deleted; and the conversation sent whole through chat, whose greedy answer the second response must match. Prints one JSON line of what it saw for the .NET test to check.
// Usage: node conversations.mjs http://127.0.0.1:PORT MODEL
import OpenAI from 'openai';

const [baseUrl, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL: `${baseUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
const instructions = 'You are a reporter.';

const conversation = await client.conversations.create({
  items: [{ type: 'message', role: 'user', content: 'Tell me about the jury.' }], metadata: { topic: 'jury' },
});
const first = await client.responses.create({
  model, conversation: conversation.id, input: 'Be brief.', instructions, max_output_tokens: 6, temperature: 0,
});

const stream = await client.responses.create({
  model, conversation: { id: conversation.id }, input: 'And then?', instructions, max_output_tokens: 6, temperature: 0, stream: true,
});
let deltas = '';
let second = null;
for await (const event of stream) {
  if (event.type === 'response.output_text.delta') deltas += event.delta;
  if (event.type === 'response.completed' || event.type === 'response.incomplete') second = event.response;
}

// The same conversation sent whole through chat: greedy, the second answer must be the same text.
const text = (response) => response.output.find((item) => item.type === 'message')?.content[0]?.text ?? null;
const chat = await client.chat.completions.create({
  model, max_tokens: 6, temperature: 0,
  messages: [
    { role: 'system', content: instructions }, { role: 'user', content: 'Tell me about the jury.' }, { role: 'user', content: 'Be brief.' },
    { role: 'assistant', content: text(first) }, { role: 'user', content: 'And then?' },
  ],
});

const added = await client.conversations.items.create(conversation.id, {
  items: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Thanks.' }] }],
});
const items = [];
for await (const item of client.conversations.items.list(conversation.id, { limit: 2, order: 'asc' })) {
  items.push({ type: item.type, id: item.id, role: item.role ?? null, text: item.content?.[0]?.text ?? null });
}
const retrieved = await client.conversations.items.retrieve(items[0].id, { conversation_id: conversation.id });
const afterDelete = await client.conversations.items.delete(added.data[0].id, { conversation_id: conversation.id });
const left = [];
for await (const item of client.conversations.items.list(conversation.id)) left.push(item.id);
const updated = await client.conversations.update(conversation.id, { metadata: { topic: 'court' } });
const fetched = await client.conversations.retrieve(conversation.id);
const deleted = await client.conversations.delete(conversation.id);
let goneStatus = 0;
try {
  await client.conversations.retrieve(conversation.id);
} catch (error) {
  goneStatus = error.status;
}

console.log(JSON.stringify({
  conversation: { id: conversation.id, object: conversation.object, metadata: conversation.metadata },
  first: { id: first.id, text: text(first), conversation: first.conversation?.id ?? null, usage: first.usage },
  second: { id: second.id, text: text(second), deltas, conversation: second.conversation?.id ?? null, usage: second.usage },
  chat: { text: chat.choices[0].message.content, promptTokens: chat.usage.prompt_tokens },
  added: { count: added.data.length, id: added.data[0].id },
  items,
  retrieved: { id: retrieved.id, text: retrieved.content?.[0]?.text ?? null },
  afterDelete: { id: afterDelete.id, object: afterDelete.object },
  left,
  updated: updated.metadata, fetched: fetched.metadata,
  deleted: { id: deleted.id, deleted: deleted.deleted, object: deleted.object },
  goneStatus,
}));
