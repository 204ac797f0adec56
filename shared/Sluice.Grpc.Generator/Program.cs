using Google.Protobuf;
using Google.Protobuf.Compiler;
using Sluice.Grpc.Generator;

// protoc plugin protocol: a CodeGeneratorRequest on stdin, a CodeGeneratorResponse on stdout.
var request = CodeGeneratorRequest.Parser.ParseFrom(Console.OpenStandardInput());
var response = ServiceCodeGenerator.Generate(request);
using var stdout = Console.OpenStandardOutput();
response.WriteTo(stdout);
