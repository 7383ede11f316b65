namespace MambaServe.Server.Cli.Bench;

/// <summary>One benchmark conversation: the same user turns sent by continuing responses, in a conversation, on a WebSocket, and by resending chat history.</summary>
public static class ConversationBenchmark
{
    public const string Instructions = "You are a reporter for the city paper.";

    private static readonly string[] s_inputs =
    [
        "Tell me about the jury.", "What did the court say about the election?", "Who spoke for the city?",
        "And what happened in the legislature?", "Was the governor pleased with the vote?", "What did the committee find?",
        "How did the people of the county feel?", "Tell me more about the mayor.", "What will the council do next year?",
        "Why did the judge call for a new trial?",
    ];

    /// <summary>
    /// Runs <paramref name="turns"/> turns with previous_response_id, the same turns in a conversation of the
    /// Conversations API, the same turns unstored on one Responses WebSocket, and the same user turns through chat
    /// completions with each turn's whole history (with <paramref name="withResponses"/> false only the chat
    /// conversation runs).
    /// </summary>
    public static async Task<(List<ConversationTurn> Responses, List<ConversationTurn> Conversation, List<ConversationTurn> Socket, List<ConversationTurn> Chat)> RunAsync(
        HttpClient http, string model, int turns, int outputTokens, bool withResponses, CancellationToken ct)
    {
        await ConversationClient.RespondAsync(http, model, Instructions, "Hello.", null, 4, ct); // warm-up: JIT, first allocations
        var responses = new List<ConversationTurn>();
        var inConversation = new List<ConversationTurn>();
        var onSocket = new List<ConversationTurn>();
        var chat = new List<ConversationTurn>();
        var messages = new List<object> { new { role = "system", content = Instructions } };
        string? previous = null;
        string? conversation = withResponses ? await ConversationClient.CreateConversationAsync(http, ct) : null;
        using var socket = withResponses ? await ConversationClient.ConnectAsync(http.BaseAddress!, ct) : null;
        string? previousOnSocket = null;
        for (int t = 0; t < turns; t++)
        {
            var input = s_inputs[t % s_inputs.Length];
            if (withResponses)
            {
                var turn = await ConversationClient.RespondAsync(http, model, Instructions, input, previous, outputTokens, ct);
                responses.Add(turn);
                previous = turn.ResponseId;
                inConversation.Add(await ConversationClient.RespondAsync(http, model, Instructions, input, null, outputTokens, ct, conversation));
                var socketTurn = await ConversationClient.RespondOnSocketAsync(socket!, model, Instructions, input, previousOnSocket, outputTokens, ct);
                onSocket.Add(socketTurn);
                previousOnSocket = socketTurn.ResponseId;
            }

            messages.Add(new { role = "user", content = input });
            var answer = await ConversationClient.ChatAsync(http, model, messages, outputTokens, ct);
            chat.Add(answer);
            messages.Add(new { role = "assistant", content = answer.Text });
        }

        return (responses, inConversation, onSocket, chat);
    }
}
