namespace MambaServe.Server.OpenAi.Responses;

/// <summary>One message of a stored conversation: its role and its text.</summary>
public sealed record ConversationMessage(string Role, string Content);
