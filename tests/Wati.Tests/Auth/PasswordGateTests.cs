using System.Net;
using System.Text;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Envelope;
using Wati.Platform.Auth;
using Wati.Tests.Support;

namespace Wati.Tests.Auth;

/// <summary>
/// Issue 24 finding 4: password hashing is bounded (a slot per core, a short queue, then 429 with
/// Retry-After), so a login storm cannot starve other requests. The key derivation is scripted: it
/// blocks until the test releases it, so who runs, who waits and who is refused is decided by steps, not time.
/// </summary>
public sealed class PasswordGateTests
{
    private const int Slots = 2;
    private const int Queue = 3;

    /// <summary>A PBKDF2 stand-in that, once armed, holds every caller until released.</summary>
    private sealed class ScriptedDerivation
    {
        private readonly SemaphoreSlim _release = new(0);
        public volatile bool Armed;
        public int Entered;

        public byte[] Derive(byte[] password, byte[] salt, int iterations, int length)
        {
            if (Armed)
            {
                Interlocked.Increment(ref Entered);
                _release.Wait();
            }
            return System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(password, salt, 1, System.Security.Cryptography.HashAlgorithmName.SHA256, length);
        }

        public void ReleaseAll(int count) => _release.Release(count);
    }

    [Fact]
    public async Task TheLoginBeyondSlotsAndQueueIs429WithRetryAfterWhileOthersProceed()
    {
        var derivation = new ScriptedDerivation();
        using var app = new WatiAppFactory(new Dictionary<string, string?>
        {
            ["Wati:Auth:PasswordHashingConcurrency"] = Slots.ToString(),
            ["Wati:Auth:PasswordHashingQueue"] = Queue.ToString(),
            ["Wati:Auth:PasswordHashingWaitMilliseconds"] = "60000",
        }).WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton(sp =>
            new PasswordHasher(sp.GetRequiredService<IOptions<AuthOptions>>(), sp.GetRequiredService<PasswordGate>(), derivation.Derive))));
        var api = new ApiClient(app.CreateClient());
        var (other, _) = await api.NewUserAsync();
        var email = $"storm{Guid.NewGuid():N}@example.com";
        (await api.PostJsonAsync("/v1/auth/register", new { email, password = "correct horse battery" })).Expect(201);
        var gate = app.Services.GetRequiredService<PasswordGate>();

        derivation.Armed = true;
        var admitted = Enumerable.Range(0, Slots + Queue).Select(_ => Login(api, email)).ToList();
        await Until(() => Volatile.Read(ref derivation.Entered) == Slots && gate.Waiting == Queue);

        var refused = await Login(api, email);
        refused.Expect(429, "RATE_LIMIT_EXCEEDED");
        Assert.Equal(TimeSpan.FromSeconds(PasswordGate.RetryAfterSeconds), refused.Headers.RetryAfter?.Delta);
        (await other.GetAsync("/v1/credits")).Expect(200); // everyone else is served meanwhile

        derivation.ReleaseAll(Slots + Queue);
        foreach (var login in admitted) (await login).Expect(200);
    }

    [Fact]
    public async Task AWaitLongerThanTheBoundIsRefused()
    {
        var time = new FakeTimeProvider();
        using var gate = new PasswordGate(Options.Create(new AuthOptions
        {
            PasswordHashingConcurrency = 1, PasswordHashingQueue = 1, PasswordHashingWaitMilliseconds = 2_000,
        }), time);
        var release = new TaskCompletionSource();
        var running = Task.Run(() => gate.RunAsync(() => { release.Task.Wait(); return 1; }, default));
        await Until(() => gate.Running == 1);
        var waiting = gate.RunAsync(() => 2, default);
        Assert.Equal(1, gate.Waiting);

        time.Advance(TimeSpan.FromMilliseconds(2_001));
        var e = await Assert.ThrowsAsync<ApiException>(() => waiting);
        Assert.Equal(ErrorCode.RateLimitExceeded, e.Code);
        Assert.Equal(PasswordGate.RetryAfterSeconds, e.RetryAfterSeconds);

        release.SetResult();
        Assert.Equal(1, await running);
        Assert.Equal(3, await gate.RunAsync(() => 3, default)); // the slot came back
    }

    private static Task<ApiResponse> Login(ApiClient api, string email) =>
        Task.Run(() => api.PostJsonAsync("/v1/auth/login", new { email, password = "correct horse battery" }));

    /// <summary>Waits for a state the scripted steps lead to (bounded, so a broken gate fails rather than hangs).</summary>
    private static async Task Until(Func<bool> reached)
    {
        for (var i = 0; i < 3_000 && !reached(); i++) await Task.Delay(10);
        Assert.True(reached(), "the scripted logins did not reach the expected state");
    }
}
