using System.Collections;
using System.Text;

namespace Sluice.Vtl.Tests;

/// <summary>How the gateway's $input, $util and $context reach templates: IVtlObject hosts and plain maps.</summary>
public sealed class HostObjectTests
{
    [Fact]
    public void Render_UtilMethodOnHost_IsCalledWithEvaluatedArguments()
    {
        var template = VtlTemplate.Parse("{\"q\": \"$util.escapeJavaScript($input.params('q'))\"}");
        var variables = new Dictionary<string, object?>
        {
            ["util"] = new Util(),
            ["input"] = new Input(body: null, parameters: new() { ["q"] = "say \"hi\"" }),
        };

        Assert.Equal("{\"q\": \"say \\\"hi\\\"\"}", template.Render(variables));
    }

    [Fact]
    public void Render_InputPathReturningList_IsWalkedByForeach()
    {
        var template = VtlTemplate.Parse(
            "#set($root = $input.path('$'))#foreach($p in $root)$p.type#if($foreach.hasNext),#end#end");
        var body = new List<object?>
        {
            new Dictionary<string, object?> { ["type"] = "dog" },
            new Dictionary<string, object?> { ["type"] = "cat" },
        };

        Assert.Equal("dog,cat", template.Render(new Dictionary<string, object?> { ["input"] = new Input(body, []) }));
    }

    [Fact]
    public void Render_SetIntoContextMap_IsSeenByTheCaller()
    {
        var responseOverride = new Dictionary<string, object?> { ["header"] = new Dictionary<string, object?>() };
        var context = new Dictionary<string, object?> { ["responseOverride"] = responseOverride, ["requestId"] = "r-1" };
        var template = VtlTemplate.Parse(
            "#set($context.responseOverride.status = 400)\n#set($context.responseOverride.header.Retry-After = \"5\")\n$context.requestId");

        var output = template.Render(new Dictionary<string, object?> { ["context"] = context });

        Assert.Equal("r-1", output);
        Assert.Equal(400, responseOverride["status"]);
        Assert.Equal("5", ((Dictionary<string, object?>)responseOverride["header"]!)["Retry-After"]);
    }

    [Theory]
    [InlineData("$context.stage|$context.requestId", "prod|r-1", false)]
    [InlineData("$!context.other", "", false)]
    [InlineData("$context.identity.sourceIp", "10.0.0.1", true)]
    [InlineData("$context.size() $context.keySet()", "3 [stage, requestId, identity]", true)]
    [InlineData("$context", "{stage=prod, requestId=r-1, identity={sourceIp=10.0.0.1}}", true)]
    [InlineData("#set($c = $context)$c.get('stage')", "prod", true)]
    [InlineData("#foreach($v in $context)$v;#end", "prod;r-1;{sourceIp=10.0.0.1};", true)]
    public void Render_LazyMap_PlainPropertiesReadWithoutBuilding_AnythingElseOnTheMap(string source, string expected, bool built)
    {
        var context = new LazyContext();

        var output = VtlTemplate.Parse(source).Render(new Dictionary<string, object?> { ["context"] = context });

        Assert.Equal(expected, output);
        Assert.Equal(built, context.Builds > 0);
        Assert.True(context.Builds <= 1, $"built {context.Builds} times");
    }

    [Fact]
    public void Render_SetIntoLazyMap_BuildsItAndLandsInTheMap()
    {
        var context = new LazyContext();

        var output = VtlTemplate.Parse("#set($context.identity.caller = 'me')#set($context.stage = 'beta')$context.stage $context.identity.caller")
            .Render(new Dictionary<string, object?> { ["context"] = context });

        Assert.Equal("beta me", output);
        Assert.Equal(1, context.Builds);
        Assert.Equal("beta", context.Build()["stage"]);
    }

    /// <summary>A $context whose stage and requestId are plain fields; identity needs the map.</summary>
    private sealed class LazyContext : IVtlLazyMap
    {
        private Dictionary<string, object?>? _map;

        public int Builds { get; private set; }

        public bool TryGetWithoutBuilding(string name, out object? value)
        {
            if (_map is not null)
            {
                value = _map.GetValueOrDefault(name);
                return true;
            }
            value = name switch { "stage" => "prod", "requestId" => "r-1", _ => null };
            return name is "stage" or "requestId" or "other";
        }

        public IDictionary<string, object?> Build()
        {
            if (_map is null)
            {
                Builds++;
                _map = new Dictionary<string, object?>
                {
                    ["stage"] = "prod",
                    ["requestId"] = "r-1",
                    ["identity"] = new Dictionary<string, object?> { ["sourceIp"] = "10.0.0.1" },
                };
            }
            return _map;
        }
    }

    [Fact]
    public void Render_HostProperty_FallsBackToGetterMethod()
    {
        var template = VtlTemplate.Parse("$input.body|$input.getBody()|$input.missing");

        var output = template.Render(new Dictionary<string, object?> { ["input"] = new Input("{\"a\":1}", []) });

        Assert.Equal("{\"a\":1}|{\"a\":1}|$input.missing", output);
    }

    [Fact]
    public void Render_UnknownHostMethod_PrintsReferenceAsWritten()
    {
        var template = VtlTemplate.Parse("$util.nope('x') $!util.nope('x')|");

        Assert.Equal("$util.nope('x') |", template.Render(new Dictionary<string, object?> { ["util"] = new Util() }));
    }

    [Fact]
    public void Render_EnumerableHost_IsIterable()
    {
        var template = VtlTemplate.Parse("#foreach($x in $seq)$x;#end");

        Assert.Equal("1;2;3;", template.Render(new Dictionary<string, object?> { ["seq"] = new Sequence() }));
    }

    [Fact]
    public void Render_SetVariables_DoNotLeakIntoCallerDictionary()
    {
        var variables = new Dictionary<string, object?> { ["a"] = "input" };
        var template = VtlTemplate.Parse("#set($a = \"changed\")#set($b = 1)$a");

        Assert.Equal("changed", template.Render(variables));
        Assert.Equal("input", variables["a"]);
        Assert.False(variables.ContainsKey("b"));
        Assert.Equal("changed", template.Render(variables));
    }

    [Fact]
    public void Render_ValueModel_PrintsAsJava()
    {
        var template = VtlTemplate.Parse("$m $l $d $dec $long $arr");
        var variables = new Dictionary<string, object?>
        {
            ["m"] = new Dictionary<string, object?> { ["a"] = 1, ["b"] = null },
            ["l"] = new List<object?> { "x", 2.0, true },
            ["d"] = 1e-5,
            ["dec"] = 12.50m,
            ["long"] = 1L << 40,
            ["arr"] = new object?[] { 1, "two" },
        };

        Assert.Equal("{a=1, b=null} [x, 2.0, true] 1.0E-5 12.50 1099511627776 [1, two]", template.Render(variables));
    }

    [Fact]
    public void Render_ToTextWriter_WritesTheSameText()
    {
        var template = VtlTemplate.Parse("#foreach($i in [1..3])<$i>#end");
        var writer = new StringWriter();

        template.Render(writer, new Dictionary<string, object?>());

        Assert.Equal("<1><2><3>", writer.ToString());
    }

    [Fact]
    public async Task Render_SameTemplateOnManyThreads_GivesIndependentResults()
    {
        var template = VtlTemplate.Parse("#set($sum = 0)#foreach($i in $items)#set($sum = $sum + $i)#end$name=$sum");

        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(t => Task.Run(() =>
        {
            var sb = new StringBuilder();
            for (var n = 0; n < 200; n++)
            {
                var items = Enumerable.Range(0, t + 1).Select(i => (object?)i).ToList();
                sb.Append(template.Render(new Dictionary<string, object?> { ["items"] = items, ["name"] = $"t{t}" })).Append(';');
            }

            return (t, text: sb.ToString());
        })));

        foreach (var (t, text) in results)
        {
            var expected = $"t{t}={t * (t + 1) / 2};";
            Assert.Equal(string.Concat(Enumerable.Repeat(expected, 200)), text);
        }
    }

    private sealed class Util : IVtlObject
    {
        public bool TryGetProperty(string name, out object? value)
        {
            value = null;
            return false;
        }

        public bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result)
        {
            result = method == "escapeJavaScript" && arguments is [string s] ? s.Replace("\\", "\\\\").Replace("\"", "\\\"") : null;
            return result is not null;
        }
    }

    private sealed class Input(object? body, Dictionary<string, string> parameters) : IVtlObject
    {
        public bool TryGetProperty(string name, out object? value)
        {
            value = name == "body" ? body : null;
            return name == "body";
        }

        public bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result)
        {
            result = (method, arguments) switch
            {
                ("path", ["$"]) => body,
                ("params", [string name]) => parameters.GetValueOrDefault(name),
                _ => null,
            };
            return method is "path" or "params";
        }
    }

    private sealed class Sequence : IVtlObject, IEnumerable
    {
        public bool TryGetProperty(string name, out object? value)
        {
            value = null;
            return false;
        }

        public bool TryInvoke(string method, IReadOnlyList<object?> arguments, out object? result)
        {
            result = null;
            return false;
        }

        public IEnumerator GetEnumerator()
        {
            yield return 1;
            yield return 2;
            yield return 3;
        }
    }
}
