using Sluice.DataQuality.Data;

namespace Sluice.DataQuality.Evaluation;

/// <summary>
/// Hands each row of a sequential read to the processors of the where clauses that selected its position
/// (positions ascending, so each target advances a cursor: no lookup per row).
/// </summary>
internal sealed class SelectedRows(IReadOnlyList<SelectedRows.Target> targets) : IRowSink
{
    private readonly Target[] _targets = [.. targets];
    private long _position;

    public void ProcessRow(ReadOnlySpan<byte> json)
    {
        var position = _position++;
        foreach (var target in _targets)
        {
            var positions = target.Positions;
            while (target.Cursor < positions.Length && positions[target.Cursor] < position)
            {
                target.Cursor++;
            }
            if (target.Cursor < positions.Length && positions[target.Cursor] == position)
            {
                target.Processor.ProcessRow(json);
            }
        }
    }

    internal sealed class Target(EvaluationPlan plan, RowProcessor processor, long[] positions)
    {
        public EvaluationPlan Plan { get; } = plan;
        public RowProcessor Processor { get; } = processor;
        public long[] Positions { get; } = positions;
        public int Cursor { get; set; }
    }
}
