namespace FakeReplicate;

/// <summary>How the fake answers one create (the next scripted scenario, else <see cref="Succeed"/>).</summary>
public enum FakeOutcome
{
    /// <summary>The prediction succeeds with <see cref="FakeScenario.Outputs"/> images.</summary>
    Succeed,

    /// <summary>The prediction ends <c>failed</c> with <see cref="FakeScenario.Error"/>.</summary>
    Fail,

    /// <summary>The create is answered 422 (Replicate's input validation).</summary>
    Reject,

    /// <summary>
    /// The create is answered 429 with Replicate's body (<c>{"detail":"Request was throttled. Your rate limit resets in ~Ns."}</c>)
    /// and, when <see cref="FakeScenario.RetryAfterHeader"/>, <c>Retry-After: N</c> (N: <see cref="FakeScenario.RetryAfterSeconds"/>); no prediction is made.
    /// </summary>
    Throttle,

    /// <summary>The create is answered 500; no prediction is made.</summary>
    ServerError,

    /// <summary>The prediction stays <c>processing</c> until it is canceled, or succeeds once released (<see cref="FakeReplicateServer.Release"/>).</summary>
    Hang,

    /// <summary>The prediction ends <c>aborted</c> (Replicate ended it before it ran).</summary>
    Abort,
}

/// <summary>
/// One scripted create. <see cref="PollsBeforeDone"/>: how many polls of <c>urls.get</c> see it still
/// running (0: the create itself answers the end, as when <c>Prefer: wait</c> sufficed).
/// <see cref="Outputs"/>: how many images (null: the input's <c>number_of_images</c>, else 1).
/// <see cref="OutputAsString"/>: a single output as a bare string rather than an array.
/// <see cref="MissingOutput"/>: this output's URL (0-based) answers 404.
/// <see cref="RetryAfterHeader"/>: a throttle also sends the <c>Retry-After</c> header (Replicate's real 429 may not).
/// <see cref="OutputFile"/>: every output is this file (e.g. a video model's MP4) instead of a generated image.
/// </summary>
public sealed record FakeScenario(
    FakeOutcome Outcome = FakeOutcome.Succeed,
    int PollsBeforeDone = 0,
    int? Outputs = null,
    bool OutputAsString = false,
    int? MissingOutput = null,
    string Error = "the model crashed",
    int RetryAfterSeconds = 7,
    bool RetryAfterHeader = true,
    FakeOutputFile? OutputFile = null);

/// <summary>A file a prediction outputs: its bytes, the content type it is served with, and the extension of its URL.</summary>
public sealed record FakeOutputFile(byte[] Bytes, string ContentType, string Extension);

/// <summary>A request the fake received, for tests to assert on (headers of interest only).</summary>
public sealed record FakeRequest(string Method, string Path, string? Authorization, string? Prefer, string? ContentType, string Body,
    string? CancelAfter = null);
