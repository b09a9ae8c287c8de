namespace FakeReplicate;

/// <summary>
/// Standalone: <c>dotnet run --project tests/FakeReplicate -- [port]</c> (or <c>scripts/fake-replicate.sh [port]</c>).
/// The token it accepts is <c>FAKE_REPLICATE_TOKEN</c> (default <c>r8_fake_token</c>).
/// </summary>
public static class FakeReplicateProgram
{
    public static async Task<int> Main(string[] args)
    {
        var port = args.Length > 0 && int.TryParse(args[0], out var p) ? p : 10400;
        var token = Environment.GetEnvironmentVariable("FAKE_REPLICATE_TOKEN") is { Length: > 0 } t ? t : "r8_fake_token";
        await using var server = await FakeReplicateServer.StartAsync(port, token);
        Console.WriteLine($"fake Replicate listening on {server.BaseUrl} (token from FAKE_REPLICATE_TOKEN); Ctrl+C stops it");
        await server.WaitForShutdownAsync();
        return 0;
    }
}
