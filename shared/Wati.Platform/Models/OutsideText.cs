namespace Wati.Platform.Models;

/// <summary>
/// Text that comes from outside the platform (a provider's error or log text, a caller's prompt) is cut
/// to a bound before it is stored in a row, put in a message or logged. Azure Table Storage refuses a
/// string property over 64 KiB (32K UTF-16 characters) and an entity over 1 MiB
/// (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model;
/// Azure/Azurite #1318, #2510): a job whose 40,000-character model error could not be stored was never
/// finalised (issue 17, "A long model error stalls the job").
/// </summary>
public static class OutsideText
{
    /// <summary>The most characters of an error text kept: enough to diagnose, far below Azure's property limit.</summary>
    public const int ErrorMaxChars = 2_000;

    /// <summary>
    /// The most characters of a caller's prompt echoed back in <c>meta</c>: the forms already refuse longer
    /// ones (<c>prompt</c>, 500, in <c>Jobs/JobSpecs.cs</c>); the echo is bounded too, whatever stored it.
    /// </summary>
    public const int PromptMaxChars = 500;

    /// <summary>
    /// <paramref name="text"/> when it has at most <paramref name="maxChars"/> characters; else its start,
    /// ending with a note of how much was cut, <paramref name="maxChars"/> characters in all. Never splits
    /// a surrogate pair.
    /// </summary>
    public static string Bound(string text, int maxChars = ErrorMaxChars)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxChars, 64);
        if (text.Length <= maxChars) return text;
        var note = $"... [{text.Length:D} characters, cut]";
        var keep = maxChars - note.Length;
        if (char.IsHighSurrogate(text[keep - 1])) keep--;
        return string.Concat(text.AsSpan(0, keep), note);
    }

    /// <summary><see cref="Bound"/> for text that may be missing.</summary>
    public static string? BoundOrNull(string? text, int maxChars = ErrorMaxChars) => text is null ? null : Bound(text, maxChars);
}
