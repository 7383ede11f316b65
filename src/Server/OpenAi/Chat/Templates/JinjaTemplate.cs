using MambaServe.Server.OpenAi.Chat.Templates.Runtime;
using MambaServe.Server.OpenAi.Chat.Templates.Syntax;

namespace MambaServe.Server.OpenAi.Chat.Templates;

/// <summary>
/// A parsed Jinja2 template, for the subset chat templates use (docs/server.md lists it). No Jinja engine is among
/// the NuGet packages this project may use and Liquid engines cannot parse Hugging Face templates, hence this small
/// interpreter. Parse once (syntax errors surface here, with the line); render any number of times, concurrently.
/// </summary>
public sealed class JinjaTemplate
{
    private readonly IReadOnlyList<Stmt> _body;
    private readonly TemplateOptions _options;

    private JinjaTemplate(IReadOnlyList<Stmt> body, TemplateOptions options)
    {
        _body = body;
        _options = options;
    }

    /// <exception cref="TemplateException">The template is not valid (message: "line N: reason").</exception>
    public static JinjaTemplate Parse(string source, TemplateOptions? options = null)
    {
        var resolved = options ?? new TemplateOptions();
        try
        {
            return new JinjaTemplate(Parser.Parse(source, resolved), resolved);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateException("the template nests too deeply");
        }
    }

    /// <summary>Renders with <paramref name="variables"/> as globals (values as <see cref="TemplateValues"/> converts them).</summary>
    /// <exception cref="TemplateException">Rendering failed; <see cref="TemplateRaisedException"/> when the template raised it.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables)
    {
        var globals = new Scope(null);
        Builtins.AddTo(globals);
        foreach (var (name, value) in variables)
        {
            globals.Set(name, TemplateValues.From(value));
        }

        try
        {
            return new Renderer(_options).Render(_body, globals);
        }
        catch (InsufficientExecutionStackException)
        {
            throw new TemplateException("the template nests too deeply while rendering");
        }
    }
}
