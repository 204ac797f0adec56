using System.Buffers.Text;
using System.Globalization;
using System.Text;
using Sluice.Validation.Storage;

namespace Sluice.Validation.Grpc;

/// <summary>
/// ListSchemas page tokens: opaque to callers, base64url of "version:name" of the last schema
/// listed, so that the next page resumes after it (keyset pagination, stable under inserts).
/// </summary>
internal static class SchemaPageToken
{
    public static string Encode(SchemaCursor cursor) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes(cursor.Version.ToString(CultureInfo.InvariantCulture) + ":" + cursor.Name));

    public static SchemaCursor? Decode(string token)
    {
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(token);
        }
        catch (FormatException)
        {
            return null;
        }
        var text = Encoding.UTF8.GetString(bytes);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon > 0 && int.TryParse(text.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var version) && colon < text.Length - 1
            ? new SchemaCursor(text[(colon + 1)..], version)
            : null;
    }
}
