namespace MambaServe.Server.Hosting;

/// <summary>Loads the model to serve (resolving, downloading and reading weights); called once, in the background.</summary>
public interface IModelLoader
{
    Task<IServedModel> LoadAsync(CancellationToken cancellationToken);
}
