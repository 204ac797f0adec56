using System.Numerics;
using Sluice.DataQuality.Values;

namespace Sluice.DataQuality.Metrics;

/// <summary>
/// Pearson correlation of two columns over the rows where both hold a JSON number (Deequ's Correlation analyzer
/// skips the other rows). Σx, Σy, Σx², Σy² and Σxy are kept exactly, so the result does not depend on row order
/// or on how a parallel pass split the rows, and is rounded once.
/// </summary>
internal sealed class CorrelationCounter : IRowEndHook
{
    private readonly ExactSum _sumX = ExactSum.ForValues();
    private readonly ExactSum _sumY = ExactSum.ForValues();
    private readonly ExactSum _sumXX = ExactSum.ForSquares();
    private readonly ExactSum _sumYY = ExactSum.ForSquares();
    private readonly ExactSum _sumXY = ExactSum.ForSquares();
    private double _x;
    private double _y;
    private bool _hasX;
    private bool _hasY;

    public CorrelationCounter(ColumnSlot first, ColumnSlot second)
    {
        first.GetOrAdd($"correlation-x:{second.Name}", () => new Side(this, isX: true));
        second.GetOrAdd($"correlation-y:{first.Name}", () => new Side(this, isX: false));
    }

    /// <summary>Rows where both columns hold a number.</summary>
    public long Pairs { get; private set; }

    /// <summary>The correlation coefficient; NaN when fewer than two pairs or a column is constant over them.</summary>
    public double Correlation
    {
        get
        {
            if (Pairs < 2)
            {
                return double.NaN;
            }
            // r = (nΣxy − ΣxΣy) / sqrt((nΣx² − (Σx)²)(nΣy² − (Σy)²)), all on exact integers (scale 2^-2148).
            var sx = _sumX.ToBigInteger();
            var sy = _sumY.ToBigInteger();
            var covariance = Pairs * _sumXY.ToBigInteger() - sx * sy;
            var varianceX = Pairs * _sumXX.ToBigInteger() - sx * sx;
            var varianceY = Pairs * _sumYY.ToBigInteger() - sy * sy;
            if (varianceX.IsZero || varianceY.IsZero)
            {
                return double.NaN;
            }
            var cov = ExactSum.ToDouble(covariance, BigInteger.One, ExactSum.SquareScale);
            var vx = ExactSum.ToDouble(varianceX, BigInteger.One, ExactSum.SquareScale);
            var vy = ExactSum.ToDouble(varianceY, BigInteger.One, ExactSum.SquareScale);
            return Math.Clamp(cov / (Math.Sqrt(vx) * Math.Sqrt(vy)), -1.0, 1.0);
        }
    }

    public void EndRow()
    {
        if (_hasX && _hasY)
        {
            Pairs++;
            _sumX.Add(_x);
            _sumY.Add(_y);
            _sumXX.AddSquare(_x);
            _sumYY.AddSquare(_y);
            _sumXY.AddProduct(_x, _y);
        }
        _hasX = false;
        _hasY = false;
    }

    public void MergeFrom(CorrelationCounter other)
    {
        Pairs += other.Pairs;
        _sumX.Add(other._sumX);
        _sumY.Add(other._sumY);
        _sumXX.Add(other._sumXX);
        _sumYY.Add(other._sumYY);
        _sumXY.Add(other._sumXY);
    }

    private sealed class Side(CorrelationCounter owner, bool isX) : ValueConsumer
    {
        public override void Accept(ref ColumnCell cell)
        {
            if (!cell.IsJsonNumber(out var value) || !double.IsFinite(value))
            {
                return;
            }
            if (isX)
            {
                owner._x = value;
                owner._hasX = true;
            }
            else
            {
                owner._y = value;
                owner._hasY = true;
            }
        }

        // The pair is counted by the owner at the end of each row; the owner merges.
        public override void MergeFrom(ValueConsumer other)
        {
        }
    }
}
