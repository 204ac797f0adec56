using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Sluice.Query.Statements;
using Sluice.Query.V1;

namespace Sluice.Query.DataApi;

/// <summary>
/// Maps the contract's messages to the Data API's JSON 1.1 shapes, driven by the proto
/// descriptors: operation-level members are PascalCase, the nested Field, ColumnMetadata,
/// TableMember and SqlParameter members camelCase (as the botocore model names them), a Record
/// a bare list of fields;
/// timestamps are epoch seconds; StatementStatus values drop their prefix (UNSPECIFIED is ALL).
/// The endpoint reads requests and writes responses with it; the Redshift engine's client does the
/// reverse, writing requests (<c>omitDefaults</c>) and reading responses.
/// </summary>
internal static class DataApiJson
{
    private const string StatusPrefix = "STATEMENT_STATUS_";
    private const string SubStatementsField = "sluice.query.v1.DescribeStatementResponse.sub_statements";

    private static readonly HashSet<string> CamelCaseMessages = new(StringComparer.Ordinal)
    {
        "sluice.query.v1.Field", "sluice.query.v1.ColumnMetadata", "sluice.query.v1.TableMember", "sluice.query.v1.SqlParameter",
    };

    // Read once per message type: a remote result reads one Field message per value.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<MessageDescriptor, Dictionary<string, FieldDescriptor>> FieldsByJsonName = new();

    /// <summary>
    /// Reads <typeparamref name="T"/>; with <paramref name="rejectUnknown"/> (requests to Sluice's
    /// endpoint) a member the contract does not model is a ValidationException naming it, so no
    /// request field is silently ignored. Responses of a remote Data API are read leniently: AWS
    /// adds response members over time.
    /// </summary>
    public static T Read<T>(JsonElement json, bool rejectUnknown = false)
        where T : IMessage<T>, new()
    {
        var message = new T();
        if (json.ValueKind != JsonValueKind.Object)
        {
            throw QueryException.Validation("", "The request body must be a JSON object.");
        }
        if (rejectUnknown)
        {
            var fields = FieldsOf(message.Descriptor);
            foreach (var property in json.EnumerateObject().Where(p => !fields.ContainsKey(p.Name)))
            {
                throw QueryException.Validation(property.Name,
                    $"Request field '{property.Name}' is not supported by this Redshift Data API endpoint (Sluice); remove it from the request.");
            }
        }
        ReadInto(message, json);
        return message;
    }

    /// <summary>True when the request JSON names <paramref name="member"/> with a non-null value.</summary>
    public static bool Has(JsonElement json, string member) =>
        json.ValueKind == JsonValueKind.Object && json.TryGetProperty(member, out var value) && value.ValueKind != JsonValueKind.Null;

    /// <summary>
    /// Writes <paramref name="message"/>; with <paramref name="omitDefaults"/> (requests) empty lists,
    /// false and zero are left out too, as AWS refuses an empty Parameters list and 0 is not
    /// "unset" for every member.
    /// </summary>
    public static void Write(Utf8JsonWriter writer, IMessage message, bool omitDefaults = false)
    {
        if (message is Record record)
        {
            // SqlRecords in the Data API is a list of lists of fields, not a list of objects.
            writer.WriteStartArray();
            foreach (var field in record.Fields)
            {
                Write(writer, field, omitDefaults);
            }
            writer.WriteEndArray();
            return;
        }
        writer.WriteStartObject();
        var camel = CamelCaseMessages.Contains(message.Descriptor.FullName);
        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            var value = field.Accessor.GetValue(message);
            var name = JsonName(field, camel);
            if (field.IsRepeated)
            {
                if ((omitDefaults || field.FullName == SubStatementsField) && ((System.Collections.IList)value).Count == 0)
                {
                    // AWS's DescribeStatement has SubStatements only for batches.
                    continue;
                }
                writer.WriteStartArray(name);
                foreach (var item in (System.Collections.IList)value)
                {
                    WriteValue(writer, field, item, omitDefaults);
                }
                writer.WriteEndArray();
                continue;
            }
            var present = field.RealContainingOneof is not null || field.HasPresence
                ? field.Accessor.HasValue(message)
                : !IsOmittedDefault(field, value) && !(omitDefaults && IsZero(field, value));
            if (present)
            {
                writer.WritePropertyName(name);
                WriteValue(writer, field, value, omitDefaults);
            }
        }
        writer.WriteEndObject();
    }

    private static bool IsOmittedDefault(FieldDescriptor field, object value) => field.FieldType switch
    {
        FieldType.String => ((string)value).Length == 0,
        FieldType.Enum => (int)value == 0,
        FieldType.Bytes => ((ByteString)value).IsEmpty,
        // Booleans and numbers are always written: false and 0 mean something in the Data API.
        _ => false,
    };

    private static bool IsZero(FieldDescriptor field, object value) => value switch
    {
        bool b => !b,
        int i => i == 0,
        long l => l == 0,
        double d => d == 0,
        _ => false,
    };

    private static void WriteValue(Utf8JsonWriter writer, FieldDescriptor field, object value, bool omitDefaults)
    {
        switch (field.FieldType)
        {
            case FieldType.String:
                writer.WriteStringValue((string)value);
                break;
            case FieldType.Bool:
                writer.WriteBooleanValue((bool)value);
                break;
            case FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32:
                writer.WriteNumberValue((int)value);
                break;
            case FieldType.Int64 or FieldType.SInt64 or FieldType.SFixed64:
                writer.WriteNumberValue((long)value);
                break;
            case FieldType.Double:
                writer.WriteNumberValue((double)value);
                break;
            case FieldType.Bytes:
                writer.WriteBase64StringValue(((ByteString)value).Span);
                break;
            case FieldType.Enum:
                var name = field.EnumType.FindValueByNumber((int)value)?.Name ?? "";
                writer.WriteStringValue(name.EndsWith("_UNSPECIFIED", StringComparison.Ordinal) ? "ALL" : name.Replace(StatusPrefix, "", StringComparison.Ordinal));
                break;
            case FieldType.Message when value is Timestamp timestamp:
                var at = timestamp.ToDateTimeOffset();
                writer.WriteNumberValue(at.ToUnixTimeMilliseconds() / 1000.0);
                break;
            case FieldType.Message:
                Write(writer, (IMessage)value, omitDefaults);
                break;
            default:
                throw new InvalidOperationException($"Field type {field.FieldType} has no Data API JSON mapping.");
        }
    }

    private static void ReadInto(IMessage message, JsonElement json)
    {
        var fields = FieldsOf(message.Descriptor);
        foreach (var property in json.EnumerateObject())
        {
            // Members this contract does not model (newer Data API fields) are ignored, as AWS ignores unknown members.
            if (!fields.TryGetValue(property.Name, out var field) || property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }
            if (field.IsRepeated)
            {
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    throw QueryException.Validation(property.Name, $"{property.Name} must be a list.");
                }
                var list = (System.Collections.IList)field.Accessor.GetValue(message);
                foreach (var item in property.Value.EnumerateArray())
                {
                    list.Add(ReadValue(field, property.Name, item));
                }
                continue;
            }
            field.Accessor.SetValue(message, ReadValue(field, property.Name, property.Value));
        }
    }

    private static Dictionary<string, FieldDescriptor> FieldsOf(MessageDescriptor descriptor) =>
        FieldsByJsonName.GetOrAdd(descriptor, static descriptor =>
        {
            var camel = CamelCaseMessages.Contains(descriptor.FullName);
            return descriptor.Fields.InDeclarationOrder().ToDictionary(f => JsonName(f, camel), StringComparer.Ordinal);
        });

    private static object ReadValue(FieldDescriptor field, string name, JsonElement value)
    {
        try
        {
            switch (field.FieldType)
            {
                case FieldType.String:
                    return value.GetString()!;
                case FieldType.Bool:
                    return value.GetBoolean();
                case FieldType.Int32:
                    return value.GetInt32();
                case FieldType.Int64:
                    return value.GetInt64();
                case FieldType.Double:
                    return value.GetDouble();
                case FieldType.Bytes:
                    return ByteString.FromBase64(value.GetString() ?? "");
                case FieldType.Enum:
                    var text = value.GetString() ?? "";
                    var enumValue = text == "ALL" ? field.EnumType.Values[0] : field.EnumType.FindValueByName(StatusPrefix + text);
                    return enumValue?.Number ?? throw QueryException.Validation(name, $"{name} '{text}' is not one of {string.Join(", ", field.EnumType.Values.Skip(1).Select(v => v.Name.Replace(StatusPrefix, "", StringComparison.Ordinal)))}, ALL.");
                case FieldType.Message when field.MessageType == Timestamp.Descriptor && value.ValueKind == JsonValueKind.Number:
                    // Epoch seconds with a fraction, as AWS JSON protocols send timestamps.
                    return Timestamp.FromDateTimeOffset(DateTimeOffset.UnixEpoch + TimeSpan.FromSeconds(value.GetDouble()));
                case FieldType.Message when field.MessageType == Record.Descriptor && value.ValueKind == JsonValueKind.Array:
                    var record = new Record();
                    foreach (var item in value.EnumerateArray())
                    {
                        var recordField = new Sluice.Query.V1.Field();
                        ReadInto(recordField, item);
                        record.Fields.Add(recordField);
                    }
                    return record;
                case FieldType.Message when value.ValueKind == JsonValueKind.Object:
                    var nested = field.MessageType.Parser.ParseFrom(ByteString.Empty);
                    ReadInto(nested, value);
                    return nested;
                default:
                    throw QueryException.Validation(name, $"{name} has an unexpected JSON type.");
            }
        }
        catch (InvalidOperationException)
        {
            throw QueryException.Validation(name, $"{name} has the wrong JSON type ({value.ValueKind}).");
        }
        catch (FormatException)
        {
            throw QueryException.Validation(name, $"{name} is out of range.");
        }
    }

    private static string JsonName(FieldDescriptor field, bool camel) =>
        camel ? field.JsonName : char.ToUpperInvariant(field.JsonName[0]) + field.JsonName[1..];
}
