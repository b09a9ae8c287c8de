using System.Security.Cryptography;
using Wati.Platform.Data;

namespace Wati.Platform.Webhooks;

/// <summary>A user's webhook signing secret (row <c>webhooksecret</c> in their partition); created on first read, rotatable.</summary>
public sealed class WebhookSecrets(ITableStore store, TimeProvider time)
{
    private const string Row = "webhooksecret";

    /// <summary>The user's secret (<c>whsec_</c> + 64 hex characters), created when there is none.</summary>
    public async Task<string> GetAsync(string userId, CancellationToken ct)
    {
        if (await store.GetAsync(TableNames.Users, userId, Row, ct) is { } row) return row.GetString("secret")!;
        try
        {
            var secret = NewSecret();
            await store.InsertAsync(TableNames.Users, new TableEntity(userId, Row).With("secret", secret).With("created_at", time.GetUtcNow()), ct);
            return secret;
        }
        catch (TableStoreException e) when (e.IsConflict)
        {
            return (await store.GetAsync(TableNames.Users, userId, Row, ct))!.GetString("secret")!;
        }
    }

    /// <summary>Replaces the user's secret; deliveries from now on are signed with the new one.</summary>
    public async Task<string> RotateAsync(string userId, CancellationToken ct)
    {
        var secret = NewSecret();
        await store.UpsertAsync(TableNames.Users, new TableEntity(userId, Row).With("secret", secret).With("created_at", time.GetUtcNow()), ct);
        return secret;
    }

    private static string NewSecret() => "whsec_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
