namespace Wati.Platform.Data;

/// <summary>The table store (<c>Wati:Tables:*</c>).</summary>
public sealed class TablesOptions
{
    public const string Section = "Wati:Tables";

    /// <summary><c>sqlite</c> or <c>azure</c>; unset = the profile's default (embedded: sqlite, azure: azure).</summary>
    public string? Provider { get; set; }

    /// <summary>Azure: a storage connection string (Azurite's development account included). Wins over <see cref="Endpoint"/>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Azure: the table endpoint (<c>https://{account}.table.core.windows.net</c>), signed in with <c>DefaultAzureCredential</c> (managed identity).</summary>
    public string? Endpoint { get; set; }

    /// <summary>Problems of the azure provider's settings, each naming its key.</summary>
    public IEnumerable<string> AzureProblems()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString) && string.IsNullOrWhiteSpace(Endpoint))
            yield return "Wati:Tables:ConnectionString or Wati:Tables:Endpoint is required when the tables provider is azure";
        else if (string.IsNullOrWhiteSpace(ConnectionString)
                 && !(Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri) && uri.Scheme is "https" or "http"))
            yield return "Wati:Tables:Endpoint must be an absolute http(s) URL";
    }
}
