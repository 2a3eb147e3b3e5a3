namespace SanReid.Index;

/// <summary>The gallery database holds embeddings of another model than the one it was opened with.</summary>
public sealed class GalleryModelMismatchException(string databasePath, string storedModel, string requestedModel, long items)
    : Exception($"Gallery database '{databasePath}' holds {items} embedding(s) of model '{storedModel}', not of '{requestedModel}'. " +
                "Embeddings of different models are not comparable: use another database file for this model, " +
                "or the model that filled it.")
{
    /// <summary>The model recorded in the database.</summary>
    public string StoredModel { get; } = storedModel;
    /// <summary>The model the store was opened with.</summary>
    public string RequestedModel { get; } = requestedModel;
}

/// <summary>An added item's external id is already in the gallery.</summary>
public sealed class DuplicateExternalIdException(string externalId)
    : Exception($"External id '{externalId}' already exists in the gallery.")
{
    public string ExternalId { get; } = externalId;
}
