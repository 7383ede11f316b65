using System.Runtime.CompilerServices;
using MambaServe.Server.OpenAi.Chat.Templates.Runtime;

namespace MambaServe.Server.OpenAi.Chat.Templates.Syntax;

/// <summary>
/// Jinja's expression grammar, loosest first: conditional (<c>a if b else c</c>), or, and, not, comparisons (chains,
/// <c>in</c>, <c>not in</c>), <c>+ -</c>, <c>~</c>, <c>* / // %</c>, <c>**</c>, unary <c>- +</c>, then a primary with its
/// postfix (<c>.attr</c>, <c>[key]</c>, <c>[a:b:c]</c>, calls) and filters / tests (<c>|f(args)</c>, <c>is [not] t</c>),
/// which bind tighter than arithmetic: <c>x + y|length</c> is <c>x + (y|length)</c>. Unknown filters and tests are
/// errors here, at load, as in Jinja.
/// </summary>
internal sealed partial class ExpressionParser(TokenStream s)
{
    private static readonly HashSet<string> s_compareOps = ["==", "!=", "<", ">", "<=", ">="];

    // Names that end an argument-less test (`x is defined and y`), so they are not read as its argument.
    private static readonly HashSet<string> s_testArgStops = ["else", "or", "and", "if", "is", "in", "not"];

    public Expr ParseExpression(bool withCondition = true) => withCondition ? ParseCondition() : ParseOr();

    /// <summary>An expression, or a tuple of them when commas follow (<c>{{ a, b }}</c>, <c>set x = 1, 2</c>).</summary>
    public Expr ParseTuple(bool withCondition = true)
    {
        int line = s.Current.Line;
        var first = ParseExpression(withCondition);
        if (!s.Current.IsOperator(","))
        {
            return first;
        }

        var items = new List<Expr> { first };
        while (s.SkipOperator(",") && !AtTupleEnd())
        {
            items.Add(ParseExpression(withCondition));
        }

        return new TupleExpr(line, items);
    }

    /// <summary>A name, names separated by commas (optionally in parentheses), or, when allowed, <c>ns.attr</c>.</summary>
    public Expr ParseAssignTarget(bool allowAttribute)
    {
        int line = s.Current.Line;
        bool parens = s.SkipOperator("(");
        var first = TargetName();
        if (!parens && allowAttribute && s.SkipOperator("."))
        {
            return new GetAttrExpr(line, first, s.Expect(TokenKind.Name).Value);
        }

        var names = new List<Expr> { first };
        while (s.SkipOperator(",") && s.Current.Kind == TokenKind.Name && !s.Current.IsName("in"))
        {
            names.Add(TargetName());
        }

        if (parens)
        {
            s.ExpectOperator(")");
        }

        return names.Count == 1 && !parens ? first : new TupleExpr(line, names);
    }

    public CallArgs ParseCallArgs()
    {
        s.ExpectOperator("(");
        var positional = new List<Expr>();
        var named = new List<KeyValuePair<string, Expr>>();
        while (!s.Current.IsOperator(")"))
        {
            if (s.Current.IsOperator("*") || s.Current.IsOperator("**"))
            {
                throw new TemplateException("*args and **kwargs in calls are not supported", s.Current.Line);
            }

            if (s.Current.Kind == TokenKind.Name && s.Peek().IsOperator("="))
            {
                string name = s.Next().Value;
                s.Next();
                named.Add(new(name, ParseExpression()));
            }
            else if (named.Count > 0)
            {
                throw new TemplateException("a positional argument follows a keyword argument", s.Current.Line);
            }
            else
            {
                positional.Add(ParseExpression());
            }

            if (!s.SkipOperator(","))
            {
                break;
            }
        }

        s.ExpectOperator(")");
        return new CallArgs(positional, named);
    }

    /// <summary>The filter after a <c>|</c> (or at the start of a filter block): a name and optional arguments.</summary>
    public FilterCall ParseFilterCall()
    {
        var name = s.Expect(TokenKind.Name, what: "a filter name");
        if (!Filters.Exists(name.Value))
        {
            throw new TemplateException($"no filter named '{name.Value}'", name.Line);
        }

        return new FilterCall(name.Value, s.Current.IsOperator("(") ? ParseCallArgs() : CallArgs.None);
    }

    private NameExpr TargetName()
    {
        var token = s.Expect(TokenKind.Name, what: "a variable name");
        if (token.Value is "true" or "false" or "none" or "True" or "False" or "None")
        {
            throw new TemplateException($"cannot assign to '{token.Value}'", token.Line);
        }

        return new NameExpr(token.Line, token.Value);
    }

    private bool AtTupleEnd() =>
        s.Current.Kind is TokenKind.VariableEnd or TokenKind.BlockEnd or TokenKind.Eof || s.Current.IsOperator(")") || s.Current.IsName("if");

    private Expr ParseCondition()
    {
        int line = s.Current.Line;
        var expr = ParseOr();
        while (s.SkipName("if"))
        {
            var test = ParseOr();
            var otherwise = s.SkipName("else") ? ParseCondition() : null;
            expr = new ConditionalExpr(line, test, expr, otherwise);
        }

        return expr;
    }

    private Expr ParseOr() => ParseLeftAssociative(ParseAnd, op => s.Current.IsName(op), "or");

    private Expr ParseAnd() => ParseLeftAssociative(ParseNot, op => s.Current.IsName(op), "and");

    private Expr ParseNot()
    {
        var token = s.Current;
        if (token.IsName("not"))
        {
            s.Next();
            RuntimeHelpers.EnsureSufficientExecutionStack();
            return new UnaryExpr(token.Line, "not", ParseNot());
        }

        return ParseCompare();
    }

    private Expr ParseCompare()
    {
        var first = ParseMath1();
        var rest = new List<KeyValuePair<string, Expr>>();
        while (true)
        {
            var token = s.Current;
            if (token.Kind == TokenKind.Operator && s_compareOps.Contains(token.Value))
            {
                s.Next();
                rest.Add(new(token.Value, ParseMath1()));
            }
            else if (token.IsName("in"))
            {
                s.Next();
                rest.Add(new("in", ParseMath1()));
            }
            else if (token.IsName("not") && s.Peek().IsName("in"))
            {
                s.Next();
                s.Next();
                rest.Add(new("not in", ParseMath1()));
            }
            else
            {
                return rest.Count == 0 ? first : new CompareExpr(first.Line, first, rest);
            }
        }
    }

    private Expr ParseMath1() => ParseLeftAssociative(ParseConcat, op => s.Current.IsOperator(op), "+", "-");

    private Expr ParseConcat() => ParseLeftAssociative(ParseMath2, op => s.Current.IsOperator(op), "~");

    private Expr ParseMath2() => ParseLeftAssociative(ParsePow, op => s.Current.IsOperator(op), "*", "/", "//", "%");

    private Expr ParsePow() => ParseLeftAssociative(() => ParseUnary(), op => s.Current.IsOperator(op), "**");

    private Expr ParseLeftAssociative(Func<Expr> operand, Func<string, bool> isOp, params string[] ops)
    {
        var left = operand();
        while (true)
        {
            var op = ops.FirstOrDefault(isOp);
            if (op is null)
            {
                return left;
            }

            var token = s.Next();
            left = new BinaryExpr(token.Line, op, left, operand());
        }
    }

    private Expr ParseUnary(bool withFilter = true)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        var token = s.Current;
        Expr node;
        if (token.IsOperator("-") || token.IsOperator("+"))
        {
            s.Next();
            node = new UnaryExpr(token.Line, token.Value, ParseUnary(withFilter: false));
        }
        else
        {
            node = ParsePrimary();
        }

        node = ParsePostfix(node);
        return withFilter ? ParseFilters(node) : node;
    }
}
