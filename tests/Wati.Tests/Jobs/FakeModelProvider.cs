using System.Collections.Concurrent;
using Wati.Platform.Models;

namespace Wati.Tests.Jobs;

/// <summary>
/// A hand-written model provider whose next calls are scripted: succeed with given bytes and size, reject
/// the input, fail transiently, or block until released (or canceled). Unscripted calls succeed.
/// </summary>
public sealed class FakeModelProvider : IModelProvider
{
    public delegate Task<IReadOnlyList<ModelOutput>> Behavior(ModelRequest request, CancellationToken ct);

    private readonly ConcurrentQueue<Behavior> _script = new();
    private int _calls;

    public string Name => "fake";
    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Replaces the script: the next calls behave like these, in order.</summary>
    public void Next(params Behavior[] behaviors)
    {
        _script.Clear();
        foreach (var b in behaviors) _script.Enqueue(b);
    }

    public void Reset()
    {
        _script.Clear();
        Interlocked.Exchange(ref _calls, 0);
    }

    public async Task<ModelResult> RunAsync(ModelRequest request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        var behavior = _script.TryDequeue(out var b) ? b : Succeed();
        return new ModelResult(await behavior(request, cancellationToken), "fake/" + request.Model, Strategy: "in-process");
    }

    public Task<string?> CheckAsync(CancellationToken cancellationToken = default) => Task.FromResult<string?>(null);

    /// <summary>Some PNG-looking bytes: outputs are only stored, never decoded.</summary>
    public static byte[] OutputBytes(byte seed = 7) => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, seed, seed, seed];

    public static Behavior Succeed(int width = 6, int height = 4, byte seed = 7) =>
        (_, _) => Task.FromResult<IReadOnlyList<ModelOutput>>([new ModelOutput(OutputBytes(seed), "image/png", "png", width, height)]);

    public static Behavior RejectInput(string message = "bad") =>
        (_, _) => throw new ModelException(message, isInputError: true);

    public static Behavior Transient(string message = "busy") =>
        (_, _) => throw new ModelException(message, isTransient: true);

    /// <summary>A 429-like refusal that names when to come back.</summary>
    public static Behavior Throttled(TimeSpan retryAfter) =>
        (_, _) => throw new ModelException("throttled", isTransient: true, retryAfter: retryAfter);

    /// <summary>Signals <see cref="Gate.Started"/>, then waits for <see cref="Gate.Release"/> (or cancellation).</summary>
    public static Behavior Block(Gate gate, Behavior then) => async (request, ct) =>
    {
        gate.Started.TrySetResult();
        await gate.Released.Task.WaitAsync(ct);
        return await then(request, ct);
    };

    public sealed class Gate
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Released { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public void Release() => Released.TrySetResult();
    }
}
