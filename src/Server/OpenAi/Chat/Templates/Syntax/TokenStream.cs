namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

/// <summary>A cursor over the lexer's tokens (the last is always <see cref="TokenKind.Eof"/>).</summary>
internal sealed class TokenStream(List<Token> tokens)
{
    private int _index;

    public Token Current => tokens[_index];

    public Token Peek() => tokens[Math.Min(_index + 1, tokens.Count - 1)];

    public Token Next()
    {
        var token = tokens[_index];
        if (_index < tokens.Count - 1)
        {
            _index++;
        }

        return token;
    }

    public bool SkipName(string name) => Skip(Current.IsName(name));

    public bool SkipOperator(string symbol) => Skip(Current.IsOperator(symbol));

    public Token Expect(TokenKind kind, string? value = null, string? what = null)
    {
        var token = Current;
        if (token.Kind != kind || (value is not null && token.Value != value))
        {
            string expected = what ?? (value is not null ? $"'{value}'" : kind switch
            {
                TokenKind.BlockEnd => "'%}'",
                TokenKind.VariableEnd => "'}}'",
                TokenKind.Name => "a name",
                _ => kind.ToString(),
            });
            throw new TemplateException($"expected {expected}, found {token.Describe()}", token.Line);
        }

        return Next();
    }

    public Token ExpectOperator(string symbol) => Expect(TokenKind.Operator, symbol);

    private bool Skip(bool matches)
    {
        if (matches)
        {
            Next();
        }

        return matches;
    }
}
