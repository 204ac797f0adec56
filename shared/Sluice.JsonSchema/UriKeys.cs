namespace Sluice.JsonSchema;

/// <summary>One spelling per URI so that ids, registrations and $refs meet in dictionaries.</summary>
internal static class UriKeys
{
    /// <summary>The absolute URI without its fragment, in escaped form.</summary>
    public static string DocumentKey(Uri absoluteUri) =>
        absoluteUri.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.Fragment, UriFormat.UriEscaped);
}
