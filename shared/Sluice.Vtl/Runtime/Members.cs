using System.Collections;
using Sluice.Vtl.Syntax;

namespace Sluice.Vtl.Runtime;

/// <summary>
/// Properties, methods and indexes of the values a template sees, dispatched by type and name without
/// reflection. Built-in types answer as Java's String, ArrayList, LinkedHashMap, Integer... would under
/// Velocity's introspection; host objects answer through <see cref="IVtlObject"/>. "No such member" is null,
/// which the reference then prints as written.
/// </summary>
internal static class Members
{
    /// <summary>What a void Java method returns to Velocity: an empty string, so the reference prints nothing.</summary>
    private const string Void = "";

    // Velocity 1.7's MethodMap counts a method without parameters as applicable to any arguments, so calling
    // one of these names with arguments (when no other overload fits) fails in the invocation.
    internal static readonly HashSet<string> StringNoArg =
        ["length", "isEmpty", "isBlank", "toLowerCase", "toUpperCase", "trim", "strip", "stripLeading", "stripTrailing", "hashCode", "toString", "intern", "toCharArray", "getBytes", "lines", "chars"];

    private static readonly HashSet<string> ListNoArg = ["size", "isEmpty", "clear", "iterator", "toArray", "hashCode", "toString", "stream", "trimToSize"];
    private static readonly HashSet<string> MapNoArg = ["size", "isEmpty", "clear", "keySet", "values", "entrySet", "hashCode", "toString"];
    private static readonly HashSet<string> NumberNoArg = ["intValue", "longValue", "doubleValue", "floatValue", "shortValue", "byteValue", "hashCode"];

    internal static object? NoMatch(string name, object?[] args, HashSet<string> noArg, RenderState state, Modifier at)
    {
        if (args.Length > 0 && noArg.Contains(name))
        {
            throw state.Error($"Invocation of method '{name}' failed: wrong number of arguments", at.Line, at.Column);
        }

        return null;
    }

    public static object? GetProperty(object target, string name, RenderState state, Modifier at)
    {
        switch (target)
        {
            case IDictionary<string, object?> map:
                return map.TryGetValue(name, out var v) ? v : null;
            case IVtlObject host:
                try
                {
                    if (host.TryGetProperty(name, out var value))
                    {
                        return value;
                    }

                    return name.Length > 0 && host.TryInvoke("get" + char.ToUpperInvariant(name[0]) + name[1..], [], out value) ? value : null;
                }
                catch (Exception e) when (e is not VtlException)
                {
                    throw state.Error($"Getting property '{name}' of {host.GetType().Name} threw: {e.Message}", at.Line, at.Column, e);
                }

            case string s:
                return name == "empty" ? s.Length == 0 : null;
            case VtlEntry entry:
                return name switch
                {
                    "key" => entry.Key,
                    "value" => entry.Value,
                    _ => null,
                };
            case Array:
                return null;
            case IList list:
                return name == "empty" ? list.Count == 0 : null;
            default:
                return null;
        }
    }

    public static void SetProperty(object target, string name, object? value, RenderState state, Modifier at)
    {
        switch (target)
        {
            case IDictionary<string, object?> map:
                Put(map, name, value, state, at);
                return;
            case IVtlObject host when name.Length > 0:
                try
                {
                    host.TryInvoke("set" + char.ToUpperInvariant(name[0]) + name[1..], [value], out _);
                }
                catch (Exception e) when (e is not VtlException)
                {
                    throw state.Error($"Setting property '{name}' of {host.GetType().Name} threw: {e.Message}", at.Line, at.Column, e);
                }

                return;
        }
    }

    public static object? GetIndex(object target, object? index, RenderState state, Modifier at)
    {
        switch (target)
        {
            case IDictionary<string, object?> map:
                return index is string key && map.TryGetValue(key, out var v) ? v : null;
            case IList list:
                if (index is not int i)
                {
                    return null;
                }

                if (i < 0)
                {
                    i += list.Count;
                }

                CheckIndex(i, list.Count, state, at);
                return list[i];
            case IVtlObject host:
                return InvokeHost(host, "get", [index], state, at);
            default:
                return null;
        }
    }

    public static void SetIndex(object target, object? index, object? value, RenderState state, Modifier at)
    {
        switch (target)
        {
            case IDictionary<string, object?> map when index is string key:
                Put(map, key, value, state, at);
                return;
            case IList list when index is int i:
                if (i < 0)
                {
                    i += list.Count;
                }

                CheckIndex(i, list.Count, state, at);
                Mutate(() => list[i] = value, state, at);
                return;
            case IVtlObject host:
                InvokeHost(host, "set", [index, value], state, at);
                return;
        }
    }

    /// <summary>What #foreach walks: lists, arrays, map values and host enumerables; null when not iterable.</summary>
    public static IEnumerable? AsEnumerable(object value) => value switch
    {
        string => null,
        IDictionary<string, object?> map => map.Values,
        IEnumerable items => items,
        _ => null,
    };

    public static object? Invoke(object target, string name, object?[] args, RenderState state, Modifier at)
    {
        switch (target)
        {
            case string s:
                return StringMethods.Invoke(s, name, args, state, at);
            case IDictionary<string, object?> map:
                return MapMethod(map, name, args, state, at);
            case IVtlObject host:
                return InvokeHost(host, name, args, state, at);
            case IList list:
                return ListMethod(list, name, args, state, at);
            case VtlEntry entry:
                return (name, args.Length) switch
                {
                    ("getKey", 0) => entry.Key,
                    ("getValue", 0) => entry.Value,
                    _ => CommonMethod(entry, name, args, state),
                };
            case bool b:
                return (name, args.Length) switch
                {
                    ("booleanValue", 0) => b,
                    _ => CommonMethod(b, name, args, state),
                };
            default:
                return JavaMath.IsNumber(target)
                    ? NumberMethod(target, name, args, state) ?? NoMatch(name, args, NumberNoArg, state, at)
                    : CommonMethod(target, name, args, state);
        }
    }

    private static object? CommonMethod(object target, string name, object?[] args, RenderState state) => (name, args.Length) switch
    {
        ("toString", 0) => JavaValues.ToJavaString(target, state),
        ("equals", 1) => JavaValues.JavaEquals(target, args[0]),
        _ => null,
    };

    private static object? NumberMethod(object n, string name, object?[] args, RenderState state) => (name, args.Length) switch
    {
        ("intValue", 0) => JavaMath.IntValue(n),
        ("longValue", 0) => JavaMath.LongValue(n),
        ("doubleValue", 0) => JavaMath.DoubleValue(n),
        ("compareTo", 1) when args[0] is not null && args[0]!.GetType() == n.GetType() => JavaMath.Compare(n, args[0]!),
        _ => CommonMethod(n, name, args, state),
    };

    private static object? InvokeHost(IVtlObject host, string name, object?[] args, RenderState state, Modifier at)
    {
        try
        {
            if (host.TryInvoke(name, args, out var result))
            {
                return result;
            }
        }
        catch (Exception e) when (e is not VtlException)
        {
            throw state.Error($"Invocation of method '{name}' in {host.GetType().Name} threw exception: {e.Message}", at.Line, at.Column, e);
        }

        if (args.Length == 0 && name.Length > 3 && name.StartsWith("get", StringComparison.Ordinal)
            && host.TryGetProperty(char.ToLowerInvariant(name[3]) + name[4..], out var value))
        {
            return value;
        }

        return args.Length == 0 && name == "toString" ? host.ToString() : null;
    }

    private static object? ListMethod(IList list, string name, object?[] args, RenderState state, Modifier at)
    {
        switch (name, args.Length)
        {
            case ("size", 0):
                return list.Count;
            case ("isEmpty", 0):
                return list.Count == 0;
            case ("get", 1) when args[0] is int i:
                CheckIndex(i, list.Count, state, at);
                return list[i];
            case ("contains", 1):
                return IndexOf(list, args[0]) >= 0;
            case ("indexOf", 1):
                return IndexOf(list, args[0]);
            case ("lastIndexOf", 1):
                for (var i = list.Count - 1; i >= 0; i--)
                {
                    if (JavaValues.JavaEquals(args[0], list[i]))
                    {
                        return i;
                    }
                }

                return -1;
            case ("add", 1):
                state.CheckCollectionSize(list.Count + 1L, at);
                Mutate(() => list.Add(args[0]), state, at);
                return true;
            case ("add", 2) when args[0] is int i:
                state.CheckCollectionSize(list.Count + 1L, at);
                if (i < 0 || i > list.Count)
                {
                    throw IndexError(i, list.Count, state, at);
                }

                Mutate(() => list.Insert(i, args[1]), state, at);
                return Void;
            case ("set", 2) when args[0] is int i:
                CheckIndex(i, list.Count, state, at);
                var old = list[i];
                Mutate(() => list[i] = args[1], state, at);
                return old;
            case ("remove", 1) when args[0] is int i:
                CheckIndex(i, list.Count, state, at);
                var removed = list[i];
                Mutate(() => list.RemoveAt(i), state, at);
                return removed;
            case ("remove", 1):
                var at1 = IndexOf(list, args[0]);
                if (at1 >= 0)
                {
                    Mutate(() => list.RemoveAt(at1), state, at);
                }

                return at1 >= 0;
            case ("addAll", 1) when args[0] is IEnumerable items and not string and not IDictionary<string, object?>:
                var toAdd = items.Cast<object?>().ToList();
                state.CheckCollectionSize((long)list.Count + toAdd.Count, at);
                Mutate(() => toAdd.ForEach(x => list.Add(x)), state, at);
                return toAdd.Count > 0;
            case ("containsAll", 1) when args[0] is IEnumerable items and not string:
                return items.Cast<object?>().All(x => IndexOf(list, x) >= 0);
            case ("clear", 0):
                Mutate(list.Clear, state, at);
                return Void;
            case ("subList", 2) when args[0] is int from && args[1] is int to:
                if (from < 0 || to > list.Count || from > to)
                {
                    throw state.Error($"subList({from}, {to}) is out of range for a list of size {list.Count}", at.Line, at.Column);
                }

                var sub = new List<object?>(to - from);
                for (var i = from; i < to; i++)
                {
                    sub.Add(list[i]);
                }

                return sub;
            default:
                return CommonMethod(list, name, args, state) ?? NoMatch(name, args, ListNoArg, state, at);
        }
    }

    private static object? MapMethod(IDictionary<string, object?> map, string name, object?[] args, RenderState state, Modifier at)
    {
        switch (name, args.Length)
        {
            case ("get", 1):
                return args[0] is string k && map.TryGetValue(k, out var v) ? v : null;
            case ("getOrDefault", 2):
                return args[0] is string k2 && map.TryGetValue(k2, out var v2) ? v2 : args[1];
            case ("put", 2):
                return Put(map, Key(args[0], state), args[1], state, at);
            case ("putIfAbsent", 2):
                var key = Key(args[0], state);
                if (map.TryGetValue(key, out var existing) && existing is not null)
                {
                    return existing;
                }

                Put(map, key, args[1], state, at);
                return null;
            case ("containsKey", 1):
                return args[0] is string k3 && map.ContainsKey(k3);
            case ("containsValue", 1):
                return map.Values.Any(x => JavaValues.JavaEquals(x, args[0]));
            case ("remove", 1):
                if (args[0] is string k4 && map.TryGetValue(k4, out var gone))
                {
                    Mutate(() => map.Remove(k4), state, at);
                    return gone;
                }

                return null;
            case ("size", 0):
                return map.Count;
            case ("isEmpty", 0):
                return map.Count == 0;
            case ("keySet", 0):
                return new List<object?>(map.Keys);
            case ("values", 0):
                return new List<object?>(map.Values);
            case ("entrySet", 0):
                return map.Select(kv => (object?)new VtlEntry(kv.Key, kv.Value)).ToList();
            case ("putAll", 1) when args[0] is IDictionary<string, object?> other:
                foreach (var (k5, v5) in other.ToList())
                {
                    Put(map, k5, v5, state, at);
                }

                return Void;
            case ("clear", 0):
                Mutate(map.Clear, state, at);
                return Void;
            default:
                return CommonMethod(map, name, args, state) ?? NoMatch(name, args, MapNoArg, state, at);
        }
    }

    private static string Key(object? key, RenderState state) => key as string ?? JavaValues.ToJavaString(key, state) ?? "null";

    private static object? Put(IDictionary<string, object?> map, string key, object? value, RenderState state, Modifier at)
    {
        map.TryGetValue(key, out var previous);
        if (!map.ContainsKey(key))
        {
            state.CheckCollectionSize(map.Count + 1L, at);
        }

        Mutate(() => map[key] = value, state, at);
        return previous;
    }

    private static int IndexOf(IList list, object? item)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (JavaValues.JavaEquals(item, list[i]))
            {
                return i;
            }
        }

        return -1;
    }

    private static void CheckIndex(int i, int count, RenderState state, Modifier at)
    {
        if (i < 0 || i >= count)
        {
            throw IndexError(i, count, state, at);
        }
    }

    private static VtlRenderException IndexError(int i, int count, RenderState state, Modifier at) =>
        state.Error($"Index {i} out of bounds for length {count}", at.Line, at.Column);

    /// <summary>Read-only inputs (arrays, immutable maps) refuse changes as Java's do: with an error.</summary>
    private static void Mutate(Action change, RenderState state, Modifier at)
    {
        try
        {
            change();
        }
        catch (NotSupportedException e)
        {
            throw state.Error("The collection cannot be changed (it is read-only)", at.Line, at.Column, e);
        }
    }
}
