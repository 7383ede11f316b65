using System.Text;
using MambaServe.Engine.Generation;

namespace MambaServe.Server.OpenAi.Chat;

/// <summary>Engine token logprobs in the chat format (token, logprob, UTF-8 bytes, top_logprobs).</summary>
public sealed class ChatLogprobsMapper(TokenNames names)
{
    public ChatLogprobs Map(IReadOnlyList<TokenLogprob>? entries) =>
        new((entries ?? []).Select(e => new ChatTokenLogprob(
            names.Of(e.TokenId),
            TokenNames.Clamp(e.Logprob ?? 0f),
            Bytes(names.Of(e.TokenId)),
            e.Top.Select(t => new ChatTopLogprob(names.Of(t.TokenId), TokenNames.Clamp(t.Logprob), Bytes(names.Of(t.TokenId)))).ToList())).ToList());

    private static List<int> Bytes(string token) => Encoding.UTF8.GetBytes(token).Select(b => (int)b).ToList();
}
