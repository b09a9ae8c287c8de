namespace Wati.Platform.Data;

/// <summary>
/// The one place that turns a caller's property value into the stored form, so every backend stores
/// the same thing: <c>int</c> becomes <c>long</c>; <see cref="DateTime"/> and <see cref="DateTimeOffset"/>
/// become a UTC <see cref="DateTimeOffset"/> (a <see cref="DateTimeKind.Unspecified"/> time is taken as
/// UTC, a <see cref="DateTimeKind.Local"/> one is converted). Other supported types pass unchanged.
/// </summary>
public static class PropertyValues
{
    /// <summary>The stored form of <paramref name="value"/>; unsupported types are returned as they are (the rules reject them).</summary>
    public static object? Normalize(object? value) => value switch
    {
        int i => (long)i,
        DateTimeOffset t => t.ToUniversalTime(),
        DateTime { Kind: DateTimeKind.Local } d => new DateTimeOffset(d.ToUniversalTime(), TimeSpan.Zero),
        DateTime d => new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc), TimeSpan.Zero),
        _ => value,
    };
}
