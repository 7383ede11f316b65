namespace MambaServe.Engine.Loading.Hub;

/// <summary>One file of a hub repository as listed by <c>api/models/{id}/revision/{rev}?blobs=true</c>.</summary>
/// <param name="BlobId">Git blob id (the cache's blob name for non-LFS files), when listed.</param>
/// <param name="LfsSha256">SHA-256 of an LFS file (its cache blob name), when listed.</param>
internal sealed record HubSibling(string FileName, long? Size, string? BlobId, string? LfsSha256);
