namespace Wati.Platform.Storage;

/// <summary>
/// The absolute base (scheme, host, port, no trailing slash) under which this host serves
/// <c>/files/...</c>: configured, or taken from the current request.
/// </summary>
public interface IPublicBaseUrl
{
    string Get();
}
