using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Wati.Platform.Auth;

namespace Wati.Tests.Auth;

public class AuthUnitTests
{
    private static readonly byte[] Key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();

    [Fact]
    public void DefaultPasswordHashingUsesPbkdf2Sha256AtOwaspStrength()
    {
        var hasher = new PasswordHasher(Options.Create(new AuthOptions()));
        var stored = hasher.Hash("correct horse battery");

        Assert.StartsWith("pbkdf2-sha256$600000$", stored);
        Assert.True(hasher.Verify("correct horse battery", stored));
        Assert.False(hasher.Verify("correct horse batterY", stored));
        Assert.NotEqual(stored, hasher.Hash("correct horse battery"));
    }

    [Fact]
    public void HashesKeepTheirIterationCountWhenTheSettingRises()
    {
        var old = new PasswordHasher(Options.Create(new AuthOptions { PasswordIterations = 1000 })).Hash("pw pw pw pw");
        var current = new PasswordHasher(Options.Create(new AuthOptions { PasswordIterations = 2000 }));

        Assert.True(current.Verify("pw pw pw pw", old));
        Assert.False(current.Verify("pw pw pw pw", "garbage"));
    }

    [Fact]
    public async Task TokensAreCheckedForExpiryIssuerAudienceAndSignature()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new AuthOptions { TokenLifetimeMinutes = 10 };
        var tokens = new TokenService(Options.Create(options), new SigningKey(Key), time);
        var token = tokens.Issue("usr_1", Roles.Admin);

        Assert.Equal(new Caller("usr_1", Roles.Admin, "token"), await tokens.ValidateAsync(token.Token));
        Assert.Equal(600, token.ExpiresIn);

        var otherAudience = new TokenService(Options.Create(new AuthOptions { Audience = "elsewhere" }), new SigningKey(Key), time);
        Assert.Null(await otherAudience.ValidateAsync(token.Token));
        var otherIssuer = new TokenService(Options.Create(new AuthOptions { Issuer = "elsewhere" }), new SigningKey(Key), time);
        Assert.Null(await otherIssuer.ValidateAsync(token.Token));
        var otherKey = new TokenService(Options.Create(options), new SigningKey(Key.Reverse().ToArray()), time);
        Assert.Null(await otherKey.ValidateAsync(token.Token));

        time.Advance(TimeSpan.FromMinutes(11));
        Assert.Null(await tokens.ValidateAsync(token.Token));
    }

    [Fact]
    public async Task UnsignedOrGarbageTokensAreRejected()
    {
        var tokens = new TokenService(Options.Create(new AuthOptions()), new SigningKey(Key), TimeProvider.System);
        var parts = tokens.Issue("usr_1", Roles.User).Token.Split('.');
        var unsigned = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + parts[1] + ".";

        Assert.Null(await tokens.ValidateAsync(unsigned));
        Assert.Null(await tokens.ValidateAsync("x.y.z"));
        Assert.Null(await tokens.ValidateAsync("not a token"));
    }
}
