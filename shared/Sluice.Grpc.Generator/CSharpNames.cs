using System.Text;
using Google.Protobuf.Reflection;

namespace Sluice.Grpc.Generator;

/// <summary>
/// C# names of proto elements, following what protoc's C# generator emits for message classes,
/// so generated services refer to exactly the types Grpc.Tools produced.
/// </summary>
internal sealed class CSharpNames
{
    private readonly Dictionary<string, string> _typeNames = new(StringComparer.Ordinal);

    public CSharpNames(IEnumerable<FileDescriptorProto> files)
    {
        foreach (var file in files)
        {
            var ns = Namespace(file);
            var prefix = string.IsNullOrEmpty(file.Package) ? "." : "." + file.Package + ".";
            foreach (var message in file.MessageType)
            {
                AddMessage(message, prefix, string.IsNullOrEmpty(ns) ? "global::" : "global::" + ns + ".");
            }
        }
    }

    /// <summary>The fully qualified C# type of a message, from its proto name (".pkg.Message").</summary>
    public string TypeName(string protoTypeName) =>
        _typeNames.TryGetValue(protoTypeName, out var name)
            ? name
            : throw new InvalidOperationException($"Message type '{protoTypeName}' is not defined in any file protoc passed to the plugin.");

    /// <summary>The file's C# namespace: csharp_namespace, else the package in PascalCase per segment.</summary>
    public static string Namespace(FileDescriptorProto file)
    {
        if (file.Options?.HasCsharpNamespace == true)
        {
            return file.Options.CsharpNamespace;
        }
        return string.Join(".", file.Package.Split('.', StringSplitOptions.RemoveEmptyEntries).Select(PascalCase));
    }

    /// <summary>protoc's underscores-to-PascalCase: drops '_' and capitalizes the letter after it and the first letter.</summary>
    public static string PascalCase(string name)
    {
        var builder = new StringBuilder(name.Length);
        var capitalizeNext = true;
        foreach (var c in name)
        {
            if (c == '_')
            {
                capitalizeNext = true;
                continue;
            }
            if (char.IsDigit(c))
            {
                builder.Append(c);
                capitalizeNext = true;
                continue;
            }
            builder.Append(capitalizeNext ? char.ToUpperInvariant(c) : c);
            capitalizeNext = false;
        }
        return builder.ToString();
    }

    private void AddMessage(DescriptorProto message, string protoPrefix, string csharpPrefix)
    {
        var csharpName = csharpPrefix + message.Name;
        _typeNames[protoPrefix + message.Name] = csharpName;
        foreach (var nested in message.NestedType)
        {
            // Map entries are synthesized messages with no C# class.
            if (nested.Options?.MapEntry == true)
            {
                continue;
            }
            AddMessage(nested, protoPrefix + message.Name + ".", csharpName + ".Types.");
        }
    }
}
