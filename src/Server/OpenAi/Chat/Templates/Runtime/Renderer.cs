using System.Runtime.CompilerServices;
using System.Text;
using MambaServe.Server.OpenAi.Chat.Templates.Syntax;

namespace MambaServe.Server.OpenAi.Chat.Templates.Runtime;

/// <summary>
/// Walks the statement tree of one render. Not shared: it counts steps and macro depth for this render's
/// <see cref="Limits"/>. Errors from evaluation helpers, which know no line, get the line of the statement or
/// expression that raised them here; .NET faults in evaluation (an overflow) become template errors too.
/// </summary>
internal sealed partial class Renderer(TemplateOptions options)
{
    private int _steps;
    private int _macroDepth;

    private enum Flow
    {
        Normal,
        Break,
        Continue,
    }

    public string Render(IReadOnlyList<Stmt> body, Scope globals)
    {
        var output = new StringBuilder();
        ExecBlock(body, new Scope(globals), output);
        return output.ToString();
    }

    /// <summary>A macro call: its parameters bound in a scope over the one it was defined in, its body rendered to a string.</summary>
    public string CallMacro(MacroStmt macro, Scope closure, Arguments args)
    {
        if (_macroDepth >= Limits.MaxMacroDepth)
        {
            throw new TemplateException($"macro calls nest deeper than {Limits.MaxMacroDepth} (runaway recursion in '{macro.Name}'?)");
        }

        if (args.Positional.Count > macro.Params.Count)
        {
            throw new TemplateException($"macro '{macro.Name}' takes {macro.Params.Count} arguments ({args.Positional.Count} given)");
        }

        var unknown = args.Named.FirstOrDefault(n => macro.Params.All(p => p.Name != n.Key));
        if (unknown.Key is not null)
        {
            throw new TemplateException($"macro '{macro.Name}' has no parameter named '{unknown.Key}'");
        }

        var scope = new Scope(closure);
        for (int i = 0; i < macro.Params.Count; i++)
        {
            var param = macro.Params[i];
            scope.Set(param.Name, args.Has(i, param.Name) ? args.Get(i, param.Name)
                : param.Default is not null ? Eval(param.Default, scope)
                : new Undefined($"parameter '{param.Name}' was not provided"));
        }

        _macroDepth++;
        try
        {
            var output = new StringBuilder();
            ExecBlock(macro.Body, scope, output);
            return output.ToString();
        }
        finally
        {
            _macroDepth--;
        }
    }

    private Flow ExecBlock(IReadOnlyList<Stmt> body, Scope scope, StringBuilder output)
    {
        foreach (var stmt in body)
        {
            var flow = Exec(stmt, scope, output);
            if (flow != Flow.Normal)
            {
                return flow;
            }
        }

        return Flow.Normal;
    }

    private Flow Exec(Stmt stmt, Scope scope, StringBuilder output)
    {
        Step(stmt.Line);
        RuntimeHelpers.EnsureSufficientExecutionStack();
        try
        {
            return ExecCore(stmt, scope, output);
        }
        catch (TemplateException ex) when (ex.Line == 0)
        {
            throw ex.AtLine(stmt.Line);
        }
        catch (Exception ex) when (IsEvaluationFault(ex))
        {
            throw new TemplateException(ex.Message, stmt.Line, ex);
        }
    }

    /// <summary>Counts a statement or a loop iteration (an empty loop body runs no statements but still costs).</summary>
    private void Step(int line)
    {
        if (++_steps > Limits.MaxSteps)
        {
            throw new TemplateException($"the template ran more than {Limits.MaxSteps} steps", line);
        }
    }

    private Flow ExecCore(Stmt stmt, Scope scope, StringBuilder output)
    {
        switch (stmt)
        {
            case TextStmt text:
                Write(output, text.Text);
                return Flow.Normal;
            case OutputStmt print:
                Write(output, PyText.Str(Eval(print.Value, scope)));
                return Flow.Normal;
            case IfStmt branches:
                var taken = branches.Branches.FirstOrDefault(b => PyOps.Truthy(Eval(b.Condition, scope)));
                var body = taken?.Body ?? branches.Else;
                return body is null ? Flow.Normal : ExecBlock(body, scope, output);
            case ForStmt loop:
                return ExecFor(loop, scope, output);
            case SetStmt set:
                Assign(set.Target, Eval(set.Value, scope), scope);
                return Flow.Normal;
            case SetBlockStmt block:
                scope.Set(block.Name, ApplyFilters(block.Filters, Capture(block.Body, new Scope(scope)), scope));
                return Flow.Normal;
            case MacroStmt macro:
                scope.Set(macro.Name, new Macro(macro, scope, this));
                return Flow.Normal;
            case FilterBlockStmt filter:
                Write(output, PyText.Str(ApplyFilters(filter.Filters, Capture(filter.Body, new Scope(scope)), scope)));
                return Flow.Normal;
            case WithStmt with:
                var inner = new Scope(scope);
                foreach (var (name, value) in with.Assignments)
                {
                    inner.Set(name, Eval(value, scope));
                }

                return ExecBlock(with.Body, inner, output);
            case LoopControlStmt control:
                return control.IsBreak ? Flow.Break : Flow.Continue;
            default:
                throw new InvalidOperationException($"unknown statement {stmt.GetType().Name}");
        }
    }

    private Flow ExecFor(ForStmt loop, Scope scope, StringBuilder output)
    {
        var items = PyOps.Iterate(Eval(loop.Iterable, scope));
        if (loop.Filter is not null)
        {
            items = items.Where(item =>
            {
                var probe = new Scope(scope);
                Assign(loop.Target, item, probe);
                return PyOps.Truthy(Eval(loop.Filter, probe));
            }).ToList();
        }

        if (items.Count == 0)
        {
            return loop.Else is null ? Flow.Normal : ExecBlock(loop.Else, scope, output);
        }

        var context = new LoopContext(items);
        for (int i = 0; i < items.Count; i++)
        {
            // A fresh scope per iteration, as Jinja's loop frame: a set inside the body lasts one iteration.
            Step(loop.Line);
            var iteration = new Scope(scope);
            context.Index0 = i;
            iteration.Set("loop", context);
            Assign(loop.Target, items[i], iteration);
            if (ExecBlock(loop.Body, iteration, output) == Flow.Break)
            {
                break;
            }
        }

        return Flow.Normal;
    }

    private void Assign(Expr target, object? value, Scope scope)
    {
        switch (target)
        {
            case NameExpr name:
                scope.Set(name.Name, value);
                break;
            case TupleExpr tuple:
                var items = PyOps.Iterate(value);
                if (items.Count != tuple.Items.Count)
                {
                    throw new TemplateException(items.Count > tuple.Items.Count
                        ? $"too many values to unpack (expected {tuple.Items.Count})"
                        : $"not enough values to unpack (expected {tuple.Items.Count}, got {items.Count})");
                }

                for (int i = 0; i < items.Count; i++)
                {
                    Assign(tuple.Items[i], items[i], scope);
                }

                break;
            case GetAttrExpr { Target: NameExpr owner } attribute:
                var ns = scope.Lookup(owner.Name) as JinjaNamespace
                    ?? throw new TemplateException($"cannot set '{owner.Name}.{attribute.Name}': only a namespace() object takes attribute assignment");
                ns.Set(attribute.Name, value);
                break;
            default:
                throw new TemplateException("cannot assign to this expression");
        }
    }

    private string Capture(IReadOnlyList<Stmt> body, Scope scope)
    {
        var output = new StringBuilder();
        ExecBlock(body, scope, output);
        return output.ToString();
    }

    private object? ApplyFilters(IReadOnlyList<FilterCall> filters, object? value, Scope scope) =>
        filters.Aggregate(value, (current, filter) => Filters.Apply(filter.Name, current, EvalArgs(filter.Args, scope)));

    private void Write(StringBuilder output, string text)
    {
        if (output.Length + (long)text.Length > options.MaxOutputChars)
        {
            throw new TemplateException($"the rendered prompt exceeds {options.MaxOutputChars} characters");
        }

        output.Append(text);
    }

    private static bool IsEvaluationFault(Exception ex) =>
        ex is OverflowException or InvalidCastException or ArgumentException or FormatException or IndexOutOfRangeException or KeyNotFoundException;
}
