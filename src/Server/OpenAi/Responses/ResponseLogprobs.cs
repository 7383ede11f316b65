using System.Text.Json;
using MambaServe.Engine.Generation;
using MambaServe.Server.Hosting;
using MambaServe.Server.OpenAi.Chat;

namespace MambaServe.Server.OpenAi.Responses;

/// <summary>
/// The output text's logprobs, asked for with <c>include: ["message.output_text.logprobs"]</c> or a
/// <c>top_logprobs</c> above 0 (the alternatives a token, 0 to 20): one entry a generated token, in chat's shape
/// (<c>{"token", "logprob", "bytes", "top_logprobs"}</c>), on the text part and on each text delta. They belong to
/// the message's text, so a request whose answer may be a function call does not take them (a 400).
/// </summary>
public sealed class ResponseLogprobs(ChatLogprobsMapper mapper)
{
    public const string Include = "message.output_text.logprobs";

    private readonly List<ChatTokenLogprob> _all = [];
    private int _sent;

    public IReadOnlyList<ChatTokenLogprob> All => _all;

    /// <summary>How many alternatives a token to ask the engine for, or null when the request wants no logprobs.</summary>
    public static int? Asked(ResponsesRequest request, ResponseToolAnswer answer)
    {
        int top = request.TopLogprobs is { ValueKind: JsonValueKind.Number } n ? n.GetInt32() : 0;
        bool included = request.Include is { ValueKind: JsonValueKind.Array } include && include.EnumerateArray().Any(i => i.ValueEquals(Include));
        if (!included && top == 0)
        {
            return null;
        }

        return answer.MayCall
            ? throw ApiException.BadRequest(
                "logprobs are returned for the output text only, and this request's answer may be a function call: send tool_choice `none` or no tools.",
                included ? "include" : "top_logprobs")
            : top;
    }

    /// <summary>The mapper for a request that asked (<see cref="Asked"/> not null), else null.</summary>
    public static ResponseLogprobs? For(int? asked, IServedModel model) => asked is null ? null : new(new ChatLogprobsMapper(new TokenNames(model, false)));

    public void Add(IReadOnlyList<TokenLogprob>? logprobs) => _all.AddRange(mapper.Map(logprobs).Content);

    /// <summary>The entries not yet sent with a text delta (a token whose text is not out yet goes with the next delta).</summary>
    public IReadOnlyList<ChatTokenLogprob> TakeUnsent()
    {
        var unsent = _all[_sent..];
        _sent = _all.Count;
        return unsent;
    }
}
