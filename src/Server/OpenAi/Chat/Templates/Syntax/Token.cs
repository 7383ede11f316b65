namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

/// <summary>
/// One lexed token. <see cref="Value"/> is the text (a string literal's is unescaped, an operator's is its symbol);
/// <see cref="Literal"/> holds a number's value (long or double).
/// </summary>
internal readonly record struct Token(TokenKind Kind, string Value, int Line, object? Literal = null)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && Value == value;

    public bool IsName(string name) => Is(TokenKind.Name, name);

    public bool IsOperator(string symbol) => Is(TokenKind.Operator, symbol);

    public string Describe() => Kind switch
    {
        TokenKind.Eof => "end of template",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.Text => "template text",
        TokenKind.String => "a string",
        _ => $"'{Value}'",
    };
}
