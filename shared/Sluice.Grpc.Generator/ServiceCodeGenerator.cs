using Google.Protobuf.Compiler;
using Google.Protobuf.Reflection;

namespace Sluice.Grpc.Generator;

/// <summary>Turns every service of the requested .proto files into C# for Sluice's gRPC runtime.</summary>
internal static class ServiceCodeGenerator
{
    public static CodeGeneratorResponse Generate(CodeGeneratorRequest request)
    {
        var response = new CodeGeneratorResponse
        {
            // proto3 optional fields change nothing in service code; say so, or protoc refuses to run the plugin.
            SupportedFeatures = (ulong)CodeGeneratorResponse.Types.Feature.Proto3Optional,
        };
        try
        {
            var names = new CSharpNames(request.ProtoFile);
            var toGenerate = new HashSet<string>(request.FileToGenerate, StringComparer.Ordinal);
            foreach (var file in request.ProtoFile.Where(f => toGenerate.Contains(f.Name) && f.Service.Count > 0))
            {
                response.File.Add(new CodeGeneratorResponse.Types.File
                {
                    Name = OutputFileName(file.Name),
                    Content = new ServiceWriter(file, names).Write(),
                });
            }
        }
        catch (Exception ex)
        {
            response.Error = ex.Message;
        }
        return response;
    }

    /// <summary>"sluice/query/v1/query.proto" becomes "sluice/query/v1/QueryGrpc.cs" (unique per proto path).</summary>
    private static string OutputFileName(string protoPath)
    {
        var directory = Path.GetDirectoryName(protoPath)?.Replace('\\', '/');
        var baseName = CSharpNames.PascalCase(Path.GetFileNameWithoutExtension(protoPath).Replace('-', '_').Replace('.', '_')) + "Grpc.cs";
        return string.IsNullOrEmpty(directory) ? baseName : directory + "/" + baseName;
    }
}
