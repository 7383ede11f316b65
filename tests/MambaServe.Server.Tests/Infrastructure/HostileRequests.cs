using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MambaServe.Server.Tests.Infrastructure;

/// <summary>
/// A deterministic stream of hostile requests for a seed: valid requests of every route mutated (wrong types, nulls
/// at every level, invalid Unicode and lone surrogates in strings, huge and negative numbers, deep nesting, huge
/// arrays and strings, unknown and unsupported fields, duplicate keys), truncated JSON, invalid UTF-8 bytes, random
/// bytes, wrong content types, methods and paths.
/// </summary>
public sealed class HostileRequests(int seed)
{
    // Strings and raw JSON can hold what a JsonNode cannot write (lone surrogates, out-of-range numbers): markers in
    // the tree are replaced in the serialized text.
    private const string Marker = "\u00a7";

    private static readonly (string Path, string Json)[] s_templates =
    [
        ("/v1/completions", """{"model":"mamba-demo-5m","prompt":"Once upon a time","max_tokens":4,"temperature":0.7,"top_p":0.9,"top_k":20,"n":2,"stop":["\n","END"],"logprobs":2,"echo":false,"seed":42,"request_id":"fuzz-1","stream":false,"stream_options":{"include_usage":true},"logit_bias":{"50":-1.5},"stop_token_ids":[0],"min_tokens":2,"user":"fuzz"}"""),
        ("/v1/completions", """{"prompt":["The cat","A dog"],"max_tokens":3,"stream":true,"echo":true,"logprobs":1,"presence_penalty":0.5,"frequency_penalty":-0.5,"repetition_penalty":1.1,"min_p":0.05,"ignore_eos":true,"include_stop_str_in_output":true,"truncate_prompt_tokens":3,"skip_special_tokens":false,"use_beam_search":false,"priority":0}"""),
        ("/v1/completions", """{"prompt":[[41,605,80],[893,12]],"max_tokens":0,"echo":true,"logprobs":0,"return_tokens_as_token_ids":true}"""),
        ("/v1/completions", """{"prompt":[41,605,80,893],"max_tokens":2,"temperature":0,"n":1,"stream":true}"""),
        ("/v1/chat/completions", """{"model":"mamba-demo-5m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":[{"type":"text","text":"Hi there"}]},{"role":"assistant","content":"Hello"},{"role":"user","content":"Tell me a story","name":"ann"}],"max_tokens":4,"temperature":0,"logprobs":true,"top_logprobs":2,"n":2,"stream":true,"stream_options":{"include_usage":true},"add_generation_prompt":true,"chat_template_kwargs":{"enable_thinking":false,"depth":[1,2.5,{"k":null}]},"request_id":"fuzz-chat"}"""),
        ("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Once"}],"max_tokens":2,"continue_final_message":true,"add_generation_prompt":false,"chat_template":null,"request_id":"r"}"""),
        ("/v1/chat/completions", """{"messages":[{"role":"user","content":"Hi"}],"max_completion_tokens":3,"min_tokens":1,"stop":"\n","include_stop_str_in_output":true,"truncate_prompt_tokens":4,"add_special_tokens":false,"spaces_between_special_tokens":true,"seed":7,"response_format":{"type":"text"},"tools":[],"tool_choice":"none"}"""),
        ("/v1/responses", """{"model":"mamba-demo-5m","input":[{"role":"user","content":[{"type":"input_text","text":"Hi"}]},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"ok"}],"instructions":"Be brief.","max_output_tokens":4,"temperature":0.5,"top_p":0.9,"store":true,"metadata":{"k":"v"},"include":["message.output_text.logprobs"],"top_logprobs":2,"tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":"none","stream":false}"""),
        ("/v1/responses", """{"input":"Tell me a story","max_output_tokens":4,"stream":true,"background":true,"text":{"format":{"type":"json_schema","name":"s","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}}}"""),
        ("/v1/messages", """{"model":"mamba-demo-5m","max_tokens":4,"system":[{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":"Weather?"},{"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"t1","name":"w","input":{"city":"Oslo"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"Cold"},{"type":"text","text":"Thanks"}]}],"tools":[{"name":"w","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],"tool_choice":{"type":"any"},"stop_sequences":["\n"],"temperature":0.5,"top_k":5,"stream":true,"metadata":{"user_id":"u"}}"""),
        ("/v1/messages/count_tokens", """{"model":"mamba-demo-5m","messages":[{"role":"user","content":"Hello"}],"system":"Be brief.","output_config":{"format":{"type":"json_schema","schema":{"type":"object"}}}}"""),
        ("/v1/conversations", """{"items":[{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}],"id":"msg_1"},{"type":"function_call","call_id":"c1","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c1","output":"ok"}],"metadata":{"k":"v"}}"""),
        ("/v1/responses", """{"input":"And then?","conversation":{"id":"conv_000000000000000000000000000000000000000000000000"},"max_output_tokens":2,"store":false}"""),
        ("/v1/responses/input_tokens", """{"model":"mamba-demo-5m","input":[{"role":"user","content":"Hi"}],"instructions":"Be brief.","tools":[{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":"auto","previous_response_id":"resp_000000000000000000000000000000000000000000000000"}"""),
        ("/invocations", """{"messages":[{"role":"user","content":"Hi"}],"max_tokens":3,"temperature":0}"""),
        ("/tokenize", """{"model":"mamba-demo-5m","prompt":"Hello world"}"""),
        ("/detokenize", """{"model":"mamba-demo-5m","tokens":[41,605,80,893]}"""),
    ];

    private static readonly string[] s_rawNumbers =
    [
        "1e400", "-1e400", "1E+309", "-0", "0.0000001", "123456789012345678901234567890", "-2147483649", "2147483648",
        "9223372036854775808", "-9223372036854775809", "4.9e-324", "1.7976931348623157e308", "3.5e38", "-1", "-7", "0", "1.5", "65",
    ];

    private static readonly string[] s_badStrings =
    [
        "\\ud800", "\\udfff", "x\\ud800y", "\\udc00\\ud800", "\\ud83d", "\\ude00abc", "\\ud83d\\ude00", "\\u0000", "\\uffff", "\\ufffe",
    ];

    private static readonly string[] s_fields =
    [
        "response_format", "tools", "tool_choice", "functions", "function_call", "best_of", "suffix", "store", "audio", "modalities",
        "guided_json", "guided_grammar", "grammar", "structured_outputs", "chat_template", "chat_template_kwargs", "continue_final_message", "request_id", "max_token", "temprature", "Prompt", "messages", "prompt", "n", "logprobs", "stream", "metadata", "\u00e9\u00e8", "",
    ];

    private static readonly string?[] s_contentTypes =
    [
        null, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml",
        "application/json; charset=utf-16", "application/json; charset=latin1", "application/problem+json", "*/*", "application/json;;;", "garbage",
    ];

    // No %00: Kestrel refuses such a request line itself (a bare 400) before the application sees it.
    private static readonly string[] s_paths =
    [
        "/v1/completions/", "/v1//completions", "/V1/COMPLETIONS", "/v1/models/%01", "/v1/models/%ED%A0%80", "/tokenize?x=1",
        "/v1/chat/completions/x", "/detokenize", "/v1/models/mamba-demo-5m", "/%ff%fe", "/v1/embeddings",
    ];

    // Markers must reach the text unescaped, and nesting past the server's limit must be writable.
    private static readonly JsonSerializerOptions s_write = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, MaxDepth = 1024 };

    private readonly Random _random = new(seed);

    public HostileRequest Next()
    {
        var (path, json) = s_templates[_random.Next(s_templates.Length)];
        int roll = _random.Next(100);
        var request = roll switch
        {
            < 60 => Mutated(path, json),
            < 68 => Raw("truncated", path, Truncate(Encoding.UTF8.GetBytes(json))),
            < 76 => Raw("invalid-utf8", path, WithInvalidUtf8(Encoding.UTF8.GetBytes(json))),
            < 81 => Raw("random-bytes", path, RandomBytes()),
            < 86 => Raw("duplicate-keys", path, Encoding.UTF8.GetBytes(DuplicateKey(json))),
            < 93 => new HostileRequest("content-type", "POST", path, Pick(s_contentTypes), Encoding.UTF8.GetBytes(json)),
            < 97 => new HostileRequest("path", "POST", Pick(s_paths), "application/json", Encoding.UTF8.GetBytes(json)),
            _ => new HostileRequest("method", Pick(["GET", "PUT", "DELETE", "PATCH", "OPTIONS"]), path, "application/json", Encoding.UTF8.GetBytes(json)),
        };
        return request;
    }

    private static readonly string[] s_lanes = ["a", "lane-2", "x.y_z"];

    /// <summary>
    /// A message for the Responses WebSocket: one of the /v1/responses templates as a response.create event (a quarter
    /// of them warm-ups, a third on a lane, one in twenty a response.steer instead), then
    /// mutated, truncated, made invalid UTF-8, replaced by random bytes or given duplicate keys, as bodies are.
    /// </summary>
    public HostileRequest NextSocketMessage()
    {
        var templates = s_templates.Where(t => t.Path == "/v1/responses").ToArray();
        var (path, template) = templates[_random.Next(templates.Length)];
        var node = JsonNode.Parse(template)!.AsObject();
        // Valid on a socket before the mutations: no transport fields, no conversation this run never made.
        foreach (var field in new[] { "stream", "background", "conversation" })
        {
            node.Remove(field);
        }

        node.Insert(0, "type", _random.Next(20) == 0 ? "response.steer" : "response.create");
        if (_random.Next(4) == 0)
        {
            node["generate"] = false; // a warm-up
        }

        if (_random.Next(3) == 0)
        {
            node["stream_id"] = s_lanes[_random.Next(s_lanes.Length)]; // a lane of the socket (a few names, so lanes are reused)
        }

        string json = node.ToJsonString(s_write);
        return _random.Next(100) switch
        {
            < 70 => Mutated(path, json),
            < 78 => Raw("truncated", path, Truncate(Encoding.UTF8.GetBytes(json))),
            < 86 => Raw("invalid-utf8", path, WithInvalidUtf8(Encoding.UTF8.GetBytes(json))),
            < 92 => Raw("random-bytes", path, RandomBytes()),
            _ => Raw("duplicate-keys", path, Encoding.UTF8.GetBytes(DuplicateKey(json))),
        };
    }

    private HostileRequest Raw(string kind, string path, byte[] body) => new(kind, "POST", path, "application/json", body);

    private HostileRequest Mutated(string path, string json)
    {
        var root = JsonNode.Parse(json)!;
        var raw = new List<string>();
        int mutations = _random.Next(1, 4);
        var kinds = new List<string>();
        for (int i = 0; i < mutations; i++)
        {
            kinds.Add(Mutate(ref root, raw));
        }

        var text = root?.ToJsonString(s_write) ?? "null";
        for (int i = 0; i < raw.Count; i++)
        {
            text = text.Replace($"\"{Marker}{i}{Marker}\"", raw[i], StringComparison.Ordinal)
                .Replace($"{Marker}{i}{Marker}", raw[i], StringComparison.Ordinal);
        }

        return new HostileRequest("mutated:" + string.Join('+', kinds), "POST", path, "application/json", Encoding.UTF8.GetBytes(text));
    }

    // One mutation of a random node (or of the root); returns its name.
    private string Mutate(ref JsonNode? root, List<string> raw)
    {
        var nodes = new List<JsonNode?> { root };
        Collect(root, nodes);
        var target = nodes[_random.Next(nodes.Count)];
        switch (_random.Next(11))
        {
            case 0:
                Replace(ref root, target, null);
                return "null";
            case 1:
                Replace(ref root, target, RandomValue(raw, depth: 0));
                return "wrong-type";
            case 2:
                Replace(ref root, target, JsonValue.Create(RawMarker(raw, Pick(s_rawNumbers))));
                return "number";
            case 3:
                Replace(ref root, target, JsonValue.Create(BadString(raw)));
                return "unicode";
            case 4:
                Replace(ref root, target, Nest(RandomValue(raw, depth: 0), _random.Next(2, 120)));
                return "deep";
            case 5:
                Replace(ref root, target, HugeArray());
                return "huge-array";
            case 6:
                Replace(ref root, target, JsonValue.Create(new string((char)_random.Next('a', 'z' + 1), _random.Next(1_000, 100_000))));
                return "huge-string";
            case 7 when target is JsonObject obj && obj.Count > 0:
                obj.Remove(obj.ElementAt(_random.Next(obj.Count)).Key);
                return "remove";
            case 8 when target is JsonObject obj:
                obj[Pick(s_fields) + (_random.Next(4) == 0 ? BadString(raw) : string.Empty)] = RandomValue(raw, depth: 0);
                return "extra-field";
            case 9 when target is JsonArray array:
                array.Add(_random.Next(3) == 0 ? null : RandomValue(raw, depth: 0));
                return "array-item";
            default:
                Replace(ref root, target, JsonValue.Create(_random.Next(2) == 0 ? -_random.Next(1, 100_000) : _random.Next()));
                return "int";
        }
    }

    private static void Collect(JsonNode? node, List<JsonNode?> nodes)
    {
        IEnumerable<JsonNode?> children = node switch
        {
            JsonObject obj => obj.Select(p => p.Value),
            JsonArray array => array,
            _ => [],
        };
        foreach (var child in children)
        {
            nodes.Add(child);
            Collect(child, nodes);
        }
    }

    // Puts value where target is (null targets are found through their parents, so they are left alone).
    private static void Replace(ref JsonNode? root, JsonNode? target, JsonNode? value)
    {
        if (target is null || ReferenceEquals(target, root))
        {
            root = value;
            return;
        }

        switch (target.Parent)
        {
            case JsonObject obj:
                obj[target.GetPropertyName()] = value;
                break;
            case JsonArray array:
                array[target.GetElementIndex()] = value;
                break;
        }
    }

    private JsonNode? RandomValue(List<string> raw, int depth) => _random.Next(depth > 2 ? 5 : 8) switch
    {
        0 => null,
        1 => JsonValue.Create(_random.Next(2) == 0),
        2 => JsonValue.Create(_random.Next(-5, 100_000)),
        3 => JsonValue.Create(_random.NextDouble() * 4 - 2),
        4 => JsonValue.Create(_random.Next(3) == 0 ? BadString(raw) : "text " + _random.Next()),
        5 => new JsonArray(Enumerable.Range(0, _random.Next(0, 4)).Select(_ => RandomValue(raw, depth + 1)).ToArray()),
        6 => new JsonObject { [Pick(s_fields)] = RandomValue(raw, depth + 1), ["type"] = "text", ["text"] = RandomValue(raw, depth + 1) },
        _ => JsonValue.Create(RawMarker(raw, Pick(s_rawNumbers))),
    };

    private string BadString(List<string> raw) => RawMarker(raw, Pick(s_badStrings), inString: true);

    // A marker the serialized text swaps for raw JSON; inside a string the marker keeps its quotes.
    private static string RawMarker(List<string> raw, string fragment, bool inString = false)
    {
        raw.Add(fragment);
        var marker = $"{Marker}{raw.Count - 1}{Marker}";
        return inString ? $"a{marker}" : marker;
    }

    private JsonNode Nest(JsonNode? inner, int depth)
    {
        JsonNode node = new JsonArray(inner);
        for (int i = 1; i < depth; i++)
        {
            node = _random.Next(2) == 0 ? new JsonArray(node) : new JsonObject { ["a"] = node };
        }

        return node;
    }

    private JsonArray HugeArray()
    {
        int count = _random.Next(1_000, 50_000);
        return _random.Next(3) switch
        {
            0 => new JsonArray(Enumerable.Range(0, count).Select(_ => (JsonNode?)JsonValue.Create(_random.Next(0, 60_000))).ToArray()),
            1 => new JsonArray(Enumerable.Range(0, count / 10).Select(_ => (JsonNode?)JsonValue.Create("s" + _random.Next(100))).ToArray()),
            _ => new JsonArray(Enumerable.Range(0, count / 100).Select(_ => (JsonNode?)new JsonObject { ["role"] = "user", ["content"] = "x" }).ToArray()),
        };
    }

    private byte[] Truncate(byte[] body) => body[.._random.Next(0, body.Length)];

    private byte[] WithInvalidUtf8(byte[] body)
    {
        var bytes = body.ToList();
        for (int i = _random.Next(1, 4); i > 0; i--)
        {
            byte[] junk = Pick<byte[]>([[0xFF], [0xC3, 0x28], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xE2, 0x82]]);
            // Inside a string value most of the time (after a quote), anywhere otherwise.
            int quote = bytes.IndexOf((byte)'"', _random.Next(bytes.Count));
            int at = _random.Next(4) > 0 && quote >= 0 ? quote + 1 : _random.Next(bytes.Count + 1);
            bytes.InsertRange(at, junk);
        }

        return [.. bytes];
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[_random.Next(0, 2048)];
        _random.NextBytes(bytes);
        if (bytes.Length > 0 && _random.Next(2) == 0)
        {
            bytes[0] = (byte)'{';
        }

        return bytes;
    }

    private string DuplicateKey(string json)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        var key = node.ElementAt(_random.Next(node.Count)).Key;
        var value = _random.Next(2) == 0 ? "null" : _random.Next(-3, 5).ToString(CultureInfo.InvariantCulture);
        return "{" + $"\"{key}\":{value}," + json[1..];
    }

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];
}
