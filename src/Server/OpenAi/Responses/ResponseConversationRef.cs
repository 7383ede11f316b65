namespace MambaServe.Server.OpenAi.Responses;

/// <summary>A response's <c>conversation</c> field: the id of the conversation it was made in.</summary>
public sealed record ResponseConversationRef(string Id);
