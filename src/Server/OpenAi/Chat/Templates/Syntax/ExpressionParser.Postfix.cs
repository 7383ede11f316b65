using MambaServe.Server.OpenAi.Chat.Templates.Runtime;

namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

/// <summary>Primaries (literals, names, parentheses, lists, dicts), their postfix, filters and tests.</summary>
internal sealed partial class ExpressionParser
{
    private Expr ParsePrimary()
    {
        var token = s.Current;
        switch (token.Kind)
        {
            case TokenKind.Name:
                s.Next();
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(token.Line, true),
                    "false" or "False" => new LiteralExpr(token.Line, false),
                    "none" or "None" => new LiteralExpr(token.Line, null),
                    _ => new NameExpr(token.Line, token.Value),
                };
            case TokenKind.String:
                var text = new System.Text.StringBuilder();
                while (s.Current.Kind == TokenKind.String)
                {
                    text.Append(s.Next().Value);
                }

                return new LiteralExpr(token.Line, text.ToString());
            case TokenKind.Integer or TokenKind.Float:
                s.Next();
                return new LiteralExpr(token.Line, token.Literal);
            case TokenKind.Operator when token.Value == "(":
                return ParseParenthesised();
            case TokenKind.Operator when token.Value == "[":
                return ParseList();
            case TokenKind.Operator when token.Value == "{":
                return ParseDict();
            default:
                throw new TemplateException($"expected an expression, found {token.Describe()}", token.Line);
        }
    }

    private Expr ParseParenthesised()
    {
        int line = s.Next().Line;
        if (s.SkipOperator(")"))
        {
            return new TupleExpr(line, []);
        }

        var first = ParseExpression();
        if (s.SkipOperator(")"))
        {
            return first;
        }

        var items = new List<Expr> { first };
        while (s.SkipOperator(",") && !s.Current.IsOperator(")"))
        {
            items.Add(ParseExpression());
        }

        s.ExpectOperator(")");
        return new TupleExpr(line, items);
    }

    private ListExpr ParseList()
    {
        int line = s.Next().Line;
        var items = new List<Expr>();
        while (!s.Current.IsOperator("]"))
        {
            items.Add(ParseExpression());
            if (!s.SkipOperator(","))
            {
                break;
            }
        }

        s.ExpectOperator("]");
        return new ListExpr(line, items);
    }

    private DictExpr ParseDict()
    {
        int line = s.Next().Line;
        var items = new List<KeyValuePair<Expr, Expr>>();
        while (!s.Current.IsOperator("}"))
        {
            var key = ParseExpression();
            s.ExpectOperator(":");
            items.Add(new(key, ParseExpression()));
            if (!s.SkipOperator(","))
            {
                break;
            }
        }

        s.ExpectOperator("}");
        return new DictExpr(line, items);
    }

    private Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = s.Current;
            if (token.IsOperator("."))
            {
                s.Next();
                var attr = s.Next();
                node = attr.Kind switch
                {
                    TokenKind.Name => new GetAttrExpr(token.Line, node, attr.Value),
                    TokenKind.Integer => new GetItemExpr(token.Line, node, new LiteralExpr(attr.Line, attr.Literal)),
                    _ => throw new TemplateException($"expected an attribute name after '.', found {attr.Describe()}", attr.Line),
                };
            }
            else if (token.IsOperator("["))
            {
                s.Next();
                node = ParseSubscript(node, token.Line);
            }
            else if (token.IsOperator("("))
            {
                node = new CallExpr(token.Line, node, ParseCallArgs());
            }
            else
            {
                return node;
            }
        }
    }

    private Expr ParseSubscript(Expr target, int line)
    {
        Expr? start = null, stop = null, step = null;
        bool slice = false;
        if (!s.Current.IsOperator(":"))
        {
            start = ParseExpression();
        }

        if (s.SkipOperator(":"))
        {
            slice = true;
            if (!s.Current.IsOperator(":") && !s.Current.IsOperator("]"))
            {
                stop = ParseExpression();
            }

            if (s.SkipOperator(":") && !s.Current.IsOperator("]"))
            {
                step = ParseExpression();
            }
        }

        s.ExpectOperator("]");
        return slice ? new SliceExpr(line, target, start, stop, step) : new GetItemExpr(line, target, start!);
    }

    private Expr ParseFilters(Expr node)
    {
        while (true)
        {
            var token = s.Current;
            if (token.IsOperator("|"))
            {
                s.Next();
                node = new FilterExpr(token.Line, node, ParseFilterCall());
            }
            else if (token.IsName("is"))
            {
                s.Next();
                node = ParseTest(node, token.Line);
            }
            else if (token.IsOperator("("))
            {
                node = new CallExpr(token.Line, node, ParseCallArgs());
            }
            else
            {
                return node;
            }
        }
    }

    private TestExpr ParseTest(Expr target, int line)
    {
        bool negated = s.SkipName("not");
        var name = s.Expect(TokenKind.Name, what: "a test name");
        if (!Tests.Exists(name.Value))
        {
            throw new TemplateException($"no test named '{name.Value}'", name.Line);
        }

        var args = CallArgs.None;
        var next = s.Current;
        if (next.IsOperator("("))
        {
            args = ParseCallArgs();
        }
        else if ((next.Kind is TokenKind.Name or TokenKind.String or TokenKind.Integer or TokenKind.Float
                  || next.IsOperator("[") || next.IsOperator("{")) && !(next.Kind == TokenKind.Name && s_testArgStops.Contains(next.Value)))
        {
            args = new CallArgs([ParsePostfix(ParsePrimary())], []);
        }

        return new TestExpr(line, target, name.Value, args, negated);
    }
}
