using System.Net.Mail;
using Microsoft.Extensions.Options;
using Wati.Envelope;
using Wati.Platform.Auth;
using Wati.Platform.Common;
using Wati.Platform.Credits;
using Wati.Platform.Data;

namespace Wati.Platform.Users;

public sealed record UserProfile(string Id, string Email, string DisplayName, string Role, DateTimeOffset CreatedAt);

public sealed record Session(UserProfile User, AccessToken Token);

/// <summary>What <see cref="UsersService.EnsureAdminAsync"/> did.</summary>
public enum AdminOutcome
{
    /// <summary>No account had the address: the admin was created.</summary>
    Created,

    /// <summary>The admin already existed.</summary>
    Existed,

    /// <summary>An ordinary account had the address and the configured password: it is now the admin.</summary>
    Promoted,

    /// <summary>An account the configured password does not open holds the address: nothing was changed.</summary>
    Refused,
}

/// <summary>Sign-up, log-in and profiles. A user's rows live in the <c>users</c> partition named by their id.</summary>
public sealed class UsersService(
    ITableStore store,
    PasswordHasher hasher,
    TokenService tokens,
    CreditsService credits,
    IIdGenerator ids,
    TimeProvider time,
    IOptions<AuthOptions> authOptions)
{
    public const string UsersTable = TableNames.Users;
    public const string EmailsTable = TableNames.Emails;
    public const string ProfileRow = "profile";
    private const string EmailRow = "user";
    private const int MaxPasswordLength = 1024;

    public async Task<Session> RegisterAsync(string email, string password, string displayName, CancellationToken ct,
        string role = Roles.User)
    {
        var normalized = NormalizeEmail(email);
        var minLength = authOptions.Value.MinPasswordLength;
        if (password.Length < minLength || password.Length > MaxPasswordLength)
            throw ApiException.Validation($"password must be {minLength} to {MaxPasswordLength} characters", new { field = "password" });
        displayName = displayName.Trim();
        if (displayName.Length == 0) displayName = normalized.Split('@')[0];
        if (displayName.Length > 100) throw ApiException.Validation("display_name is at most 100 characters", new { field = "display_name" });
        // A name is shown to people (the console, admin lists): no control characters, and no bidirectional
        // formatting characters, which can make a name read as something else (Unicode TR #36, section 2.3).
        if (displayName.Any(c => char.IsControl(c) || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069'))
            throw ApiException.Validation("display_name may not contain control or bidirectional formatting characters",
                new { field = "display_name", rule = "control_characters" });

        // Cheap early answer for the common case; the insert below is what guarantees uniqueness.
        if (await store.GetAsync(EmailsTable, normalized, EmailRow, ct) is not null) throw EmailTaken();

        var now = time.GetUtcNow();
        var userId = ids.NewId("usr");
        var profile = new TableEntity(userId, ProfileRow)
            .With("email", normalized).With("display_name", displayName).With("role", role)
            .With("password_hash", await hasher.HashAsync(password, ct)).With("created_at", now);

        // The user's partition is written first and atomically (profile, account, signup grant); the
        // e-mail row then claims the address. Losing that race removes the unreachable partition.
        var ops = new List<TableOperation> { TableOperation.Insert(profile) };
        ops.AddRange(credits.OpenAccountOperations(userId, now));
        await store.ExecuteBatchAsync(UsersTable, ops, ct);
        try
        {
            await store.InsertAsync(EmailsTable, new TableEntity(normalized, EmailRow).With("user_id", userId), ct);
        }
        catch (TableStoreException e) when (e.IsConflict)
        {
            await store.ExecuteBatchAsync(UsersTable, ops.Select(o => TableOperation.Delete(userId, o.Entity.RowKey)).ToList(), CancellationToken.None);
            throw EmailTaken();
        }

        var user = ToProfile(profile);
        return new Session(user, tokens.Issue(user.Id, user.Role));
    }

    public async Task<Session> LoginAsync(string email, string password, CancellationToken ct)
    {
        var normalized = email.Trim().ToLowerInvariant();
        var link = normalized.Length == 0 ? null : await store.GetAsync(EmailsTable, normalized, EmailRow, ct);
        var profile = link?.GetString("user_id") is { } userId ? await store.GetAsync(UsersTable, userId, ProfileRow, ct) : null;
        if (profile?.GetString("password_hash") is not { } hash)
        {
            await hasher.VerifyNothingAsync(password, ct);
            throw WrongCredentials();
        }
        if (!await hasher.VerifyAsync(password, hash, ct)) throw WrongCredentials();

        var user = ToProfile(profile);
        return new Session(user, tokens.Issue(user.Id, user.Role));
    }

    public async Task<UserProfile?> FindAsync(string userId, CancellationToken ct) =>
        IdRules.IsPlausible(userId) && await store.GetAsync(UsersTable, userId, ProfileRow, ct) is { } e ? ToProfile(e) : null;

    public async Task<UserProfile> GetAsync(string userId, CancellationToken ct) =>
        await FindAsync(userId, ct) ?? throw ApiException.NotFound("user");

    /// <summary>
    /// Makes sure the configured admin exists (issue 24 finding 8: someone who registered the admin e-mail
    /// first kept an ordinary account while start-up reported the admin ready). Creates it when the address
    /// is free; an account already at the address is promoted only when <paramref name="password"/> verifies
    /// against it (the operator owns it), else start-up must stop.
    /// </summary>
    /// <returns>What was done; <see cref="AdminOutcome.Refused"/>: the address belongs to someone else's account.</returns>
    public async Task<AdminOutcome> EnsureAdminAsync(string email, string password, CancellationToken ct)
    {
        var normalized = NormalizeEmail(email);
        for (var attempt = 0; ; attempt++)
        {
            if (await store.GetAsync(EmailsTable, normalized, EmailRow, ct) is { } link)
            {
                var profile = link.GetString("user_id") is { } userId ? await store.GetAsync(UsersTable, userId, ProfileRow, ct) : null;
                if (profile is null) return AdminOutcome.Refused; // the address is claimed by an account being created or removed
                if (profile.GetString("role") == Roles.Admin) return AdminOutcome.Existed;
                if (profile.GetString("password_hash") is not { } hash || !hasher.Verify(password, hash)) return AdminOutcome.Refused;
                await store.MergeAsync(UsersTable, new TableEntity(profile.PartitionKey, ProfileRow).With("role", Roles.Admin), profile.ETag ?? "*", ct);
                return AdminOutcome.Promoted;
            }
            try
            {
                await RegisterAsync(email, password, "admin", ct, Roles.Admin);
                return AdminOutcome.Created;
            }
            catch (ApiException e) when (e.Code == ErrorCode.AlreadyExists && attempt == 0)
            {
                // Claimed meanwhile (another instance, or a sign-up): look at who holds it now.
            }
        }
    }

    internal static string NormalizeEmail(string email)
    {
        var trimmed = email.Trim();
        if (trimmed.Length is 0 or > 254 || trimmed.Contains(' ') || !MailAddress.TryCreate(trimmed, out var parsed) ||
            parsed.Address != trimmed || !parsed.Host.Contains('.'))
            throw ApiException.Validation("email is not a valid address", new { field = "email" });
        return trimmed.ToLowerInvariant();
    }


    private static UserProfile ToProfile(TableEntity e) => new(
        e.PartitionKey, e.GetString("email") ?? "", e.GetString("display_name") ?? "",
        e.GetString("role") ?? Roles.User, e.GetTime("created_at") ?? DateTimeOffset.UnixEpoch);

    private static ApiException EmailTaken() =>
        new(ErrorCode.AlreadyExists, "an account with this email already exists", new { field = "email" });

    private static ApiException WrongCredentials() => new(ErrorCode.Unauthenticated, "wrong email or password");
}
