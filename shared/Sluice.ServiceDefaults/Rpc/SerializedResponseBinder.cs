using Grpc.Core;

namespace Sluice.ServiceDefaults;

/// <summary>
/// Binds a generated service's methods with their own request marshallers, except that the
/// methods named in <c>serializedMethods</c> answer with <see cref="SerializedMessage"/>: bytes
/// already in wire form, written as they are. Use it from the bind method a service class names
/// in its <see cref="BindServiceMethodAttribute"/>:
/// <code>
/// [BindServiceMethod(typeof(MyService), nameof(BindService))]
/// internal class MyService
/// {
///     public static ServiceDescriptor Descriptor => Generated.Descriptor; // for reflection
///     public static void BindService(ServiceBinderBase binder, MyService service) =>
///         Generated.BindService(new SerializedResponseBinder(binder, "GetPage"), null);
///     public virtual Task&lt;SerializedMessage&gt; GetPage(GetPageRequest request, ServerCallContext context) ...
/// }
/// </code>
/// </summary>
/// <remarks>
/// Grpc.AspNetCore finds each handler by the method's name and parameter types on the service
/// class and binds it only if the method is virtual and first declared on the class the bind
/// method takes (grpc-dotnet's ProviderServiceBinder). So such a service class declares every
/// handler as <c>public virtual</c> itself instead of overriding the generated base.
/// </remarks>
public sealed class SerializedResponseBinder(ServiceBinderBase inner, params string[] serializedMethods) : ServiceBinderBase
{
    private readonly HashSet<string> _serialized = [.. serializedMethods];

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, UnaryServerMethod<TRequest, TResponse>? handler)
    {
        if (_serialized.Contains(method.Name))
        {
            inner.AddMethod(Serialized(method), (UnaryServerMethod<TRequest, SerializedMessage>?)null);
            return;
        }
        inner.AddMethod(method, handler);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ServerStreamingServerMethod<TRequest, TResponse>? handler)
    {
        if (_serialized.Contains(method.Name))
        {
            inner.AddMethod(Serialized(method), (ServerStreamingServerMethod<TRequest, SerializedMessage>?)null);
            return;
        }
        inner.AddMethod(method, handler);
    }

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, ClientStreamingServerMethod<TRequest, TResponse>? handler) =>
        inner.AddMethod(method, handler);

    public override void AddMethod<TRequest, TResponse>(Method<TRequest, TResponse> method, DuplexStreamingServerMethod<TRequest, TResponse>? handler) =>
        inner.AddMethod(method, handler);

    private static Method<TRequest, SerializedMessage> Serialized<TRequest, TResponse>(Method<TRequest, TResponse> method) =>
        new(method.Type, method.ServiceName, method.Name, method.RequestMarshaller, SerializedMessage.Marshaller);
}
