using System.Collections.Concurrent;
using System.Text;
using Azure;
using Azure.Data.Tables;
using SdkEntity = Azure.Data.Tables.TableEntity;

namespace Wati.Platform.Data.Azure;

/// <summary>
/// <see cref="ITableStore"/> on Azure Table Storage through the official client (Azure.Data.Tables),
/// also used against Azurite. The port's argument rules (<see cref="TableStoreRules"/>) are checked
/// here before any request, because Azurite is more lenient than Azure. Service failures the callers
/// act on become <see cref="TableStoreException"/>: 404, 409, 412, and for batches the failed index.
/// Throttling (429/503) is retried by the SDK's pipeline.
/// </summary>
public sealed class AzureTableStore : ITableStore
{
    private const int MaxTake = 1000;

    private readonly TableServiceClient _service;
    // Tables this instance has made sure exist; a table is created once, on first use.
    private readonly ConcurrentDictionary<string, Lazy<Task>> _created = new(StringComparer.Ordinal);

    public AzureTableStore(TableServiceClient service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _service = service;
    }

    /// <summary>Creates the given tables where missing (called at start for <see cref="TableNames.All"/>).</summary>
    /// <exception cref="RequestFailedException">The service cannot be reached or refuses.</exception>
    public Task CreateTablesAsync(IEnumerable<string> tables, CancellationToken cancellationToken = default) =>
        Task.WhenAll(tables.Select(t => ClientAsync(t, cancellationToken)));

    /// <inheritdoc/>
    public async Task<TableEntity?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken = default)
    {
        TableStoreRules.ValidateKey(partitionKey, nameof(partitionKey));
        TableStoreRules.ValidateKey(rowKey, nameof(rowKey));
        var client = await ClientAsync(table, cancellationToken).ConfigureAwait(false);
        var response = await Call(() => client.GetEntityIfExistsAsync<SdkEntity>(partitionKey, rowKey, cancellationToken: cancellationToken))
            .ConfigureAwait(false);
        return response.HasValue ? AzureEntities.FromSdk(response.Value!) : null;
    }

    /// <inheritdoc/>
    public Task<string> InsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) =>
        WriteAsync(table, entity, null, (client, e) => client.AddEntityAsync(e, cancellationToken), cancellationToken);

    /// <inheritdoc/>
    public Task<string> UpsertAsync(string table, TableEntity entity, CancellationToken cancellationToken = default) =>
        WriteAsync(table, entity, null, (client, e) => client.UpsertEntityAsync(e, TableUpdateMode.Replace, cancellationToken), cancellationToken);

    /// <inheritdoc/>
    public Task<string> ReplaceAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default) =>
        WriteAsync(table, entity, ifMatch,
            (client, e) => client.UpdateEntityAsync(e, ToETag(ifMatch), TableUpdateMode.Replace, cancellationToken), cancellationToken);

    /// <inheritdoc/>
    public Task<string> MergeAsync(string table, TableEntity entity, string ifMatch, CancellationToken cancellationToken = default) =>
        WriteAsync(table, entity, ifMatch,
            (client, e) => client.UpdateEntityAsync(e, ToETag(ifMatch), TableUpdateMode.Merge, cancellationToken), cancellationToken);

    /// <inheritdoc/>
    public async Task<bool> DeleteAsync(string table, string partitionKey, string rowKey, string ifMatch = "*", CancellationToken cancellationToken = default)
    {
        TableStoreRules.ValidateKey(partitionKey, nameof(partitionKey));
        TableStoreRules.ValidateKey(rowKey, nameof(rowKey));
        TableStoreRules.ValidateIfMatch(ifMatch);
        var client = await ClientAsync(table, cancellationToken).ConfigureAwait(false);
        // The SDK reports a delete of a missing entity as a 404 response rather than an exception.
        var response = await Call(() => client.DeleteEntityAsync(partitionKey, rowKey, ToETag(ifMatch), cancellationToken)).ConfigureAwait(false);
        return response.Status != 404;
    }

    /// <summary>
    /// Asks the service for at most <c>Take</c> rows (never more than 1,000 per request: Azure refuses a
    /// larger <c>$top</c> with 400 InvalidInput, "Query Entities"), following the service's own
    /// continuation through empty or short pages, each request asking only for the rows still missing.
    /// Whether more rows follow is the service's word: its continuation token, wrapped with the partition
    /// key, becomes the page's token; there is no look-ahead row.
    /// </summary>
    public async Task<TablePage> QueryAsync(string table, TableQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        TableStoreRules.ValidateKey(query.PartitionKey, nameof(query.PartitionKey));
        var take = Math.Clamp(query.Take, 1, MaxTake);
        var serviceToken = query.ContinuationToken is null ? null : QueryContinuation.Parse(query.ContinuationToken, query.PartitionKey);
        var client = await ClientAsync(table, cancellationToken).ConfigureAwait(false);
        var filter = RangeFilter(query.PartitionKey, query.RowKeyFrom, query.RowKeyTo);

        var items = new List<TableEntity>(Math.Min(take, 128));
        try
        {
            do
            {
                var missing = take - items.Count;
                var page = await FirstPageAsync(client, filter, missing, serviceToken, cancellationToken).ConfigureAwait(false);
                if (page is null) break;
                items.AddRange(page.Values.Select(AzureEntities.FromSdk));
                serviceToken = page.ContinuationToken;
            }
            while (items.Count < take && !string.IsNullOrEmpty(serviceToken));
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return new TablePage([], null);
        }

        var token = string.IsNullOrEmpty(serviceToken) ? null : QueryContinuation.Create(query.PartitionKey, serviceToken);
        return new TablePage(items, token);
    }

    /// <summary>One request of a query: at most <paramref name="top"/> rows from <paramref name="continuation"/>.</summary>
    private static async Task<Page<SdkEntity>?> FirstPageAsync(TableClient client, string filter, int top, string? continuation,
        CancellationToken cancellationToken)
    {
        var pages = client.QueryAsync<SdkEntity>(filter, top, cancellationToken: cancellationToken).AsPages(continuation, top);
        await foreach (var page in pages.ConfigureAwait(false)) return page;
        return null;
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<string>> ExecuteBatchAsync(string table, IReadOnlyList<TableOperation> operations, CancellationToken cancellationToken = default)
    {
        TableStoreRules.ValidateBatch(operations);
        var client = await ClientAsync(table, cancellationToken).ConfigureAwait(false);
        var payload = TransactionPayload.UpperBound(client.Uri, operations);
        if (payload > TransactionPayload.MaxBytes)
            throw new ArgumentException(
                $"The batch could take {payload} bytes on the wire; Azure takes at most 4 MiB per transaction (413 RequestBodyTooLarge). Split it into several batches.",
                nameof(operations));
        var actions = operations.Select(ToAction).ToList();
        try
        {
            var response = await client.SubmitTransactionAsync(actions, cancellationToken).ConfigureAwait(false);
            return response.Value.Select((r, i) => operations[i].Kind == TableOperationKind.Delete ? "" : ETagOf(r)).ToList();
        }
        catch (TableTransactionFailedException e)
        {
            var index = e.FailedTransactionActionIndex;
            throw new TableStoreException(e.Status, $"Batch operation {index?.ToString() ?? "?"} failed in '{table}': {e.ErrorCode ?? e.Message}", index);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            throw Map(e);
        }
    }

    private static TableTransactionAction ToAction(TableOperation op) => op.Kind switch
    {
        TableOperationKind.Insert => new(TableTransactionActionType.Add, AzureEntities.ToSdk(op.Entity)),
        TableOperationKind.Upsert => new(TableTransactionActionType.UpsertReplace, AzureEntities.ToSdk(op.Entity)),
        TableOperationKind.Replace => new(TableTransactionActionType.UpdateReplace, AzureEntities.ToSdk(op.Entity), ToETag(op.IfMatch)),
        TableOperationKind.Merge => new(TableTransactionActionType.UpdateMerge, AzureEntities.ToSdk(op.Entity), ToETag(op.IfMatch)),
        TableOperationKind.Delete => new(TableTransactionActionType.Delete, AzureEntities.ToSdk(op.Entity), ToETag(op.IfMatch)),
        _ => throw new ArgumentOutOfRangeException(nameof(op), op.Kind, "Unknown operation kind."),
    };

    /// <summary>
    /// A filter built by the SDK's <see cref="TableClient.CreateQueryFilter(FormattableString)"/>, which
    /// quotes and escapes each value: a key containing <c>'</c> stays one value.
    /// </summary>
    internal static string RangeFilter(string partitionKey, string? from, string? to) => (from, to) switch
    {
        (null, null) => TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey}"),
        (not null, null) => TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {from}"),
        (null, not null) => TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey lt {to}"),
        _ => TableClient.CreateQueryFilter($"PartitionKey eq {partitionKey} and RowKey ge {from} and RowKey lt {to}"),
    };

    private async Task<string> WriteAsync(string table, TableEntity entity, string? ifMatch,
        Func<TableClient, SdkEntity, Task<Response>> write, CancellationToken cancellationToken)
    {
        TableStoreRules.ValidateEntity(entity);
        if (ifMatch is not null) TableStoreRules.ValidateIfMatch(ifMatch);
        var client = await ClientAsync(table, cancellationToken).ConfigureAwait(false);
        var response = await Call(() => write(client, AzureEntities.ToSdk(entity))).ConfigureAwait(false);
        return ETagOf(response);
    }

    private static string ETagOf(Response response) =>
        response.Headers.ETag?.ToString() ?? throw new InvalidOperationException("The table service answered a write without an ETag.");

    private static ETag ToETag(string ifMatch) => ifMatch == "*" ? ETag.All : new ETag(ifMatch);

    private static async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (e.Status is 404 or 409 or 412)
        {
            throw Map(e);
        }
    }

    private static TableStoreException Map(RequestFailedException e) =>
        new(e.Status, $"Table service answered {e.Status} {e.ErrorCode}: {FirstLine(e.Message)}");

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    /// <summary>Validates, folds case (Azure table names are case-insensitive) and creates the table once.</summary>
    private async Task<TableClient> ClientAsync(string table, CancellationToken cancellationToken)
    {
        TableStoreRules.ValidateTableName(table);
        var name = table.ToLowerInvariant();
        var client = _service.GetTableClient(name);
        var created = _created.GetOrAdd(name, _ => new Lazy<Task>(() => client.CreateIfNotExistsAsync(CancellationToken.None)));
        try
        {
            await created.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // A failed creation is not remembered: the next call tries again.
            _created.TryRemove(new KeyValuePair<string, Lazy<Task>>(name, created));
            throw;
        }
        return client;
    }
}

/// <summary>
/// The port's continuation token for the Azure backend: the partition key and the service's own
/// continuation token (its next partition and row key markers, opaque to us), base64url-encoded.
/// Keys never contain control characters (<see cref="TableStoreRules.ValidateKey"/>), so a line feed
/// separates them.
/// </summary>
internal static class QueryContinuation
{
    public static string Create(string partitionKey, string serviceToken) =>
        System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(partitionKey + "\n" + serviceToken));

    /// <summary>The service's continuation token; the token must belong to <paramref name="partitionKey"/>.</summary>
    /// <exception cref="ArgumentException">A token that this store did not issue for this partition.</exception>
    public static string Parse(string token, string partitionKey)
    {
        string text;
        try
        {
            text = Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(token));
        }
        catch (FormatException e)
        {
            throw new ArgumentException("Malformed continuation token.", nameof(token), e);
        }
        var parts = text.Split('\n', 2);
        if (parts.Length != 2 || parts[0] != partitionKey || parts[1].Length == 0)
            throw new ArgumentException("The continuation token does not belong to this query.", nameof(token));
        return parts[1];
    }
}
