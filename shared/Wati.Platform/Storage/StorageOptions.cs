namespace Wati.Platform.Storage;

/// <summary>Object storage settings (<c>Wati:Storage:*</c>, design sections 7 and 11).</summary>
public sealed class StorageOptions
{
    public const string Section = "Wati:Storage";

    /// <summary><c>filesystem</c> or <c>s3</c>; unset = the profile's default (embedded: filesystem, azure: s3).</summary>
    public string? Provider { get; set; }

    /// <summary>
    /// HMAC key of the filesystem store's <c>/files/...</c> links (base64 or text, at least 32 bytes).
    /// Unset: generated into the data folder, in the embedded profile only.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>The S3 backend's settings (<c>Wati:Storage:S3:*</c>).</summary>
    public S3.S3StorageOptions S3 { get; set; } = new();
}
