using System.Text;
using System.Text.Json;

namespace Sluice.JsonSchema.Validation;

/// <summary>
/// Mutable state of one validation call: where in the instance it is, how deep, and the errors so
/// far. One per call (pooled per thread), never shared, which keeps compiled schemas immutable.
/// </summary>
internal sealed class ValidationContext
{
    private PathSegment[] _path = new PathSegment[16];
    private int _pathLength;
    private List<ValidationError>? _errors;
    private int _maxErrors;
    private int _maxDepth;
    private int _maxEvaluationDepth;

    /// <summary>False while only the outcome matters (fast path, and branches of anyOf/oneOf/not).</summary>
    public bool CollectErrors;

    /// <summary>Schemas applied in place to the current instance location (reset on descent).</summary>
    public int EvaluationDepth;

    public int InstanceDepth => _pathLength;

    public int MaxDepth => _maxDepth;

    /// <summary>True once as many errors as requested are collected: keywords stop early.</summary>
    public bool ErrorLimitReached => _errors is not null && _errors.Count >= _maxErrors;

    /// <summary>
    /// After a failed check: whether to stop at once (only the outcome matters, or enough errors
    /// are collected) rather than go on collecting the other failures.
    /// </summary>
    public bool StopAfterFailure => !CollectErrors || ErrorLimitReached;

    public void Start(JsonSchemaOptions options, int maxErrors)
    {
        CollectErrors = maxErrors > 0;
        _maxErrors = maxErrors;
        _maxDepth = options.MaxDepth;
        _maxEvaluationDepth = options.MaxEvaluationDepth;
        _pathLength = 0;
        EvaluationDepth = 0;
        _errors = null;
    }

    /// <summary>Hands over the collected errors and forgets them (the context goes back to the pool).</summary>
    public List<ValidationError>? TakeErrors()
    {
        List<ValidationError>? errors = _errors;
        _errors = null;
        return errors;
    }

    public void ClearPath()
    {
        // Drop references into the instance document so the pooled context does not keep it alive.
        Array.Clear(_path, 0, _pathLength);
        _pathLength = 0;
    }

    public void PushProperty(in JsonProperty property) => Push(new PathSegment(property, -1, EvaluationDepth));

    public void PushIndex(int index) => Push(new PathSegment(default, index, EvaluationDepth));

    public void Pop()
    {
        _pathLength--;
        EvaluationDepth = _path[_pathLength].SavedEvaluationDepth;
        _path[_pathLength] = default;
    }

    private void Push(PathSegment segment)
    {
        if (_pathLength >= _maxDepth)
        {
            throw new ValidationLimitException(new ValidationError(
                CurrentInstanceLocation(), ValidationError.DepthLimitKeyword, "",
                $"The instance nests deeper than the maximum depth of {_maxDepth}."));
        }

        if (_pathLength == _path.Length)
        {
            Array.Resize(ref _path, _path.Length * 2);
        }

        _path[_pathLength++] = segment;
        EvaluationDepth = 0;
    }

    /// <summary>Counts one more schema applied in place; throws when the chain is too long or the stack is low.</summary>
    public void EnterSchema(string schemaLocation)
    {
        if (++EvaluationDepth > _maxEvaluationDepth || ((EvaluationDepth & 15) == 0 && !System.Runtime.CompilerServices.RuntimeHelpers.TryEnsureSufficientExecutionStack()))
        {
            throw new ValidationLimitException(new ValidationError(
                CurrentInstanceLocation(), ValidationError.DepthLimitKeyword, schemaLocation,
                $"Schemas are applied to this location more than {_maxEvaluationDepth} levels deep (a schema that refers to itself without consuming the instance?)."));
        }
    }

    public void ExitSchema() => EvaluationDepth--;

    public void Report(KeywordValidator keyword, string message) =>
        Report(keyword.Keyword, keyword.SchemaLocation, message);

    public void Report(string keyword, string schemaLocation, string message)
    {
        _errors ??= [];
        if (_errors.Count < _maxErrors)
        {
            _errors.Add(new ValidationError(CurrentInstanceLocation(), keyword, schemaLocation, message));
        }
    }

    /// <summary>JSON Pointer (RFC 6901) of the current instance location.</summary>
    public string CurrentInstanceLocation()
    {
        if (_pathLength == 0)
        {
            return "";
        }

        var pointer = new StringBuilder();
        for (int index = 0; index < _pathLength; index++)
        {
            pointer.Append('/');
            PathSegment segment = _path[index];
            if (segment.Index >= 0)
            {
                pointer.Append(segment.Index);
            }
            else
            {
                JsonPointer.AppendEscaped(pointer, segment.Property.Name);
            }
        }

        return pointer.ToString();
    }

    private readonly record struct PathSegment(JsonProperty Property, int Index, int SavedEvaluationDepth);
}

/// <summary>Validation hit a configured limit; the instance is rejected with this error.</summary>
internal sealed class ValidationLimitException(ValidationError error) : Exception(error.Message)
{
    public ValidationError Error { get; } = error;
}
