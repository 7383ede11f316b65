using System.Runtime.CompilerServices;
using MambaServe.Server.OpenAi.Chat.Templates.Syntax;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

internal sealed partial class Renderer
{
    public object? Eval(Expr expr, Scope scope)
    {
        RuntimeHelpers.EnsureSufficientExecutionStack();
        try
        {
            return EvalCore(expr, scope);
        }
        catch (TemplateException ex) when (ex.Line == 0)
        {
            throw ex.AtLine(expr.Line);
        }
    }

    private object? EvalCore(Expr expr, Scope scope) => expr switch
    {
        LiteralExpr literal => literal.Value,
        NameExpr name => scope.Lookup(name.Name),
        ListExpr list => list.Items.Select(item => Eval(item, scope)).ToList(),
        TupleExpr tuple => tuple.Items.Select(item => Eval(item, scope)).ToArray(),
        DictExpr dict => BuildDict(dict, scope),
        GetAttrExpr attr => Members.GetAttr(Eval(attr.Target, scope), attr.Name),
        GetItemExpr item => Members.GetItem(Eval(item.Target, scope), Eval(item.Key, scope)),
        SliceExpr slice => Members.Slice(Eval(slice.Target, scope), EvalOptional(slice.Start, scope), EvalOptional(slice.Stop, scope), EvalOptional(slice.Step, scope)),
        CallExpr call => Call(Eval(call.Callee, scope), EvalArgs(call.Args, scope)),
        FilterExpr filter => Filters.Apply(filter.Filter.Name, Eval(filter.Target, scope), EvalArgs(filter.Filter.Args, scope)),
        TestExpr test => Tests.Apply(test.Name, Eval(test.Target, scope), EvalArgs(test.Args, scope)) != test.Negated,
        UnaryExpr unary => Unary(unary.Op, Eval(unary.Operand, scope)),
        BinaryExpr binary => Binary(binary, scope),
        CompareExpr compare => Compare(compare, scope),
        ConditionalExpr conditional => PyOps.Truthy(Eval(conditional.Test, scope))
            ? Eval(conditional.Then, scope)
            : conditional.Else is null ? new Undefined("the inline if-expression evaluated to false and has no else") : Eval(conditional.Else, scope),
        _ => throw new InvalidOperationException($"unknown expression {expr.GetType().Name}"),
    };

    private Arguments EvalArgs(CallArgs args, Scope scope) =>
        args.Positional.Count == 0 && args.Named.Count == 0
            ? Arguments.Empty
            : new Arguments(args.Positional.Select(a => Eval(a, scope)).ToList(),
                args.Named.Select(n => new KeyValuePair<string, object?>(n.Key, Eval(n.Value, scope))).ToList());

    private object? EvalOptional(Expr? expr, Scope scope) => expr is null ? null : Eval(expr, scope);

    private JinjaDict BuildDict(DictExpr dict, Scope scope)
    {
        var result = new JinjaDict();
        foreach (var (key, value) in dict.Items)
        {
            result.Set(Eval(key, scope), Eval(value, scope));
        }

        return result;
    }

    private static object? Call(object? callee, Arguments args) => callee switch
    {
        IJinjaCallable function => function.Call(args),
        Undefined undefined => throw undefined.Fail(),
        _ => throw new TemplateException($"'{PyText.TypeName(callee)}' object is not callable"),
    };

    private static object? Unary(string op, object? operand) => op switch
    {
        "not" => !PyOps.Truthy(operand),
        "-" => PyOps.Negate(operand),
        _ => PyOps.Positive(operand),
    };

    private object? Binary(BinaryExpr binary, Scope scope)
    {
        var left = Eval(binary.Left, scope);
        switch (binary.Op)
        {
            case "and":
                return PyOps.Truthy(left) ? Eval(binary.Right, scope) : left;
            case "or":
                return PyOps.Truthy(left) ? left : Eval(binary.Right, scope);
        }

        var right = Eval(binary.Right, scope);
        return binary.Op switch
        {
            "~" => Limits.CheckString(PyText.Str(left) + PyText.Str(right)),
            "+" => PyOps.Add(left, right),
            "-" => PyOps.Subtract(left, right),
            "*" => PyOps.Multiply(left, right),
            "/" => PyOps.Divide(left, right),
            "//" => PyOps.FloorDivide(left, right),
            "%" => PyOps.Modulo(left, right),
            "**" => PyOps.Power(left, right),
            _ => throw new InvalidOperationException($"unknown operator {binary.Op}"),
        };
    }

    private bool Compare(CompareExpr compare, Scope scope)
    {
        var left = Eval(compare.First, scope);
        foreach (var (op, operand) in compare.Rest)
        {
            var right = Eval(operand, scope);
            if (!PyOps.Compare(op, left, right))
            {
                return false;
            }

            left = right;
        }

        return true;
    }
}
