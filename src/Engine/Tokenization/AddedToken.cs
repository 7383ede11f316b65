namespace MambaServe.Engine.Tokenization;

/// <summary>An entry of tokenizer.json "added_tokens": matched in the raw text before BPE.</summary>
internal sealed record AddedToken(int Id, string Content, bool Special);
