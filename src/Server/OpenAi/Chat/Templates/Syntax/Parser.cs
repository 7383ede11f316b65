namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

/// <summary>
/// Builds the statement tree: text, <c>{{ expr }}</c>, and the tags chat templates use (if/elif/else, for/else with
/// a loop filter, set (also <c>ns.attr</c> and block form), macro, break/continue (transformers enables Jinja's
/// loopcontrols), filter, with, and transformers' <c>generation</c> block, which renders its body as is).
/// Unknown or unclosed tags are errors naming the line, as Jinja reports them at load.
/// </summary>
internal sealed class Parser
{
    private readonly TokenStream _s;
    private readonly ExpressionParser _e;
    private int _loopDepth;

    private Parser(TokenStream stream)
    {
        _s = stream;
        _e = new ExpressionParser(stream);
    }

    public static IReadOnlyList<Stmt> Parse(string source, TemplateOptions options)
    {
        var parser = new Parser(new TokenStream(Lexer.Tokenize(source, options)));
        return parser.ParseBody([], null).Body;
    }

    /// <summary>Statements up to a block tag named in <paramref name="endTags"/> (consumed through its name) or the end.</summary>
    private (List<Stmt> Body, string? EndTag) ParseBody(string[] endTags, Token? opener)
    {
        var body = new List<Stmt>();
        while (true)
        {
            var token = _s.Current;
            switch (token.Kind)
            {
                case TokenKind.Text:
                    _s.Next();
                    body.Add(new TextStmt(token.Line, token.Value));
                    break;
                case TokenKind.VariableBegin:
                    _s.Next();
                    body.Add(new OutputStmt(token.Line, _e.ParseTuple()));
                    _s.Expect(TokenKind.VariableEnd);
                    break;
                case TokenKind.BlockBegin:
                    _s.Next();
                    var tag = _s.Expect(TokenKind.Name, what: "a tag name");
                    if (endTags.Contains(tag.Value))
                    {
                        return (body, tag.Value);
                    }

                    ParseStatement(tag, body, opener);
                    break;
                case TokenKind.Eof when opener is null:
                    return (body, null);
                case TokenKind.Eof:
                    throw new TemplateException(
                        $"unexpected end of template: the '{opener.Value.Value}' tag on line {opener.Value.Line} is never closed ({string.Join(" or ", endTags.Select(t => $"'{t}'"))} expected)",
                        token.Line);
                default:
                    throw new TemplateException($"unexpected {token.Describe()}", token.Line);
            }
        }
    }

    private void ParseStatement(Token tag, List<Stmt> into, Token? opener)
    {
        switch (tag.Value)
        {
            case "if": into.Add(ParseIf(tag)); break;
            case "for": into.Add(ParseFor(tag)); break;
            case "set": into.Add(ParseSet(tag)); break;
            case "macro": into.Add(ParseMacro(tag)); break;
            case "filter": into.Add(ParseFilterBlock(tag)); break;
            case "with": into.Add(ParseWith(tag)); break;
            case "break" or "continue":
                if (_loopDepth == 0)
                {
                    throw new TemplateException($"'{tag.Value}' outside a for loop", tag.Line);
                }

                _s.Expect(TokenKind.BlockEnd);
                into.Add(new LoopControlStmt(tag.Line, tag.Value == "break"));
                break;
            case "generation":
                _s.Expect(TokenKind.BlockEnd);
                into.AddRange(ParseUntil(["endgeneration"], tag).Body);
                break;
            default:
                throw new TemplateException(UnknownTag(tag.Value, opener), tag.Line);
        }
    }

    private static string UnknownTag(string name, Token? opener) =>
        name.StartsWith("end", StringComparison.Ordinal) || name is "else" or "elif"
            ? opener is null ? $"unexpected '{name}': no open tag to close" : $"unexpected '{name}' inside the '{opener.Value.Value}' tag on line {opener.Value.Line}"
            : name is "include" or "import" or "extends" or "block" or "from" or "call"
                ? $"the '{name}' tag is not supported in chat templates"
                : $"unknown tag '{name}'";

    /// <summary>A body and its closing tag, whose <c>%}</c> is consumed too.</summary>
    private (List<Stmt> Body, string? EndTag) ParseUntil(string[] endTags, Token opener)
    {
        var result = ParseBody(endTags, opener);
        _s.Expect(TokenKind.BlockEnd);
        return result;
    }

    private IfStmt ParseIf(Token tag)
    {
        var branches = new List<IfBranch>();
        var condition = _e.ParseTuple();
        _s.Expect(TokenKind.BlockEnd);
        while (true)
        {
            var (body, end) = ParseBody(["elif", "else", "endif"], tag);
            branches.Add(new IfBranch(condition, body));
            if (end == "elif")
            {
                condition = _e.ParseTuple();
                _s.Expect(TokenKind.BlockEnd);
                continue;
            }

            _s.Expect(TokenKind.BlockEnd);
            return new IfStmt(tag.Line, branches, end == "else" ? ParseUntil(["endif"], tag).Body : null);
        }
    }

    private ForStmt ParseFor(Token tag)
    {
        var target = _e.ParseAssignTarget(allowAttribute: false);
        _s.Expect(TokenKind.Name, "in");
        var iterable = _e.ParseTuple(withCondition: false);
        var filter = _s.SkipName("if") ? _e.ParseExpression() : null;
        if (_s.Current.IsName("recursive"))
        {
            throw new TemplateException("recursive for loops are not supported", _s.Current.Line);
        }

        _s.Expect(TokenKind.BlockEnd);
        _loopDepth++;
        var (body, end) = ParseBody(["else", "endfor"], tag);
        _loopDepth--;
        _s.Expect(TokenKind.BlockEnd);
        var otherwise = end == "else" ? ParseUntil(["endfor"], tag).Body : null;
        return new ForStmt(tag.Line, target, iterable, filter, body, otherwise);
    }

    private Stmt ParseSet(Token tag)
    {
        var target = _e.ParseAssignTarget(allowAttribute: true);
        if (_s.SkipOperator("="))
        {
            var value = _e.ParseTuple();
            _s.Expect(TokenKind.BlockEnd);
            return new SetStmt(tag.Line, target, value);
        }

        if (target is not NameExpr name)
        {
            throw new TemplateException("a block set ({% set x %}...{% endset %}) assigns one plain name", tag.Line);
        }

        var filters = new List<FilterCall>();
        while (_s.SkipOperator("|"))
        {
            filters.Add(_e.ParseFilterCall());
        }

        _s.Expect(TokenKind.BlockEnd, what: "'=' or '%}'");
        return new SetBlockStmt(tag.Line, name.Name, filters, ParseUntil(["endset"], tag).Body);
    }

    private MacroStmt ParseMacro(Token tag)
    {
        var name = _s.Expect(TokenKind.Name, what: "a macro name");
        _s.ExpectOperator("(");
        var parameters = new List<MacroParam>();
        while (!_s.Current.IsOperator(")"))
        {
            var param = _s.Expect(TokenKind.Name, what: "a parameter name");
            var fallback = _s.SkipOperator("=") ? _e.ParseExpression() : null;
            if (fallback is null && parameters.Count > 0 && parameters[^1].Default is not null)
            {
                throw new TemplateException($"parameter '{param.Value}' without a default follows one with a default", param.Line);
            }

            parameters.Add(new MacroParam(param.Value, fallback));
            if (!_s.SkipOperator(","))
            {
                break;
            }
        }

        _s.ExpectOperator(")");
        _s.Expect(TokenKind.BlockEnd);
        int loops = _loopDepth;
        _loopDepth = 0;
        var body = ParseUntil(["endmacro"], tag).Body;
        _loopDepth = loops;
        return new MacroStmt(tag.Line, name.Value, parameters, body);
    }

    private FilterBlockStmt ParseFilterBlock(Token tag)
    {
        var filters = new List<FilterCall> { _e.ParseFilterCall() };
        while (_s.SkipOperator("|"))
        {
            filters.Add(_e.ParseFilterCall());
        }

        _s.Expect(TokenKind.BlockEnd);
        return new FilterBlockStmt(tag.Line, filters, ParseUntil(["endfilter"], tag).Body);
    }

    private WithStmt ParseWith(Token tag)
    {
        var assignments = new List<KeyValuePair<string, Expr>>();
        while (_s.Current.Kind == TokenKind.Name)
        {
            var name = _s.Next();
            _s.ExpectOperator("=");
            assignments.Add(new(name.Value, _e.ParseExpression()));
            if (!_s.SkipOperator(","))
            {
                break;
            }
        }

        _s.Expect(TokenKind.BlockEnd);
        return new WithStmt(tag.Line, assignments, ParseUntil(["endwith"], tag).Body);
    }
}
