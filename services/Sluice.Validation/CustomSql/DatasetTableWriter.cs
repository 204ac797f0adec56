using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using SQLitePCL;

namespace Sluice.Validation.CustomSql;

/// <summary>
/// Writes JSON rows into the table <c>primary</c> of an open SQLite database, in one pass: a key not seen before
/// becomes a new column (ALTER TABLE ADD COLUMN is a schema change only, so earlier rows read it as NULL), so the
/// columns end up as the union of the rows' top-level keys. Columns have no declared type, so every value keeps the
/// storage class it was bound with: JSON integers INTEGER, other numbers REAL, strings TEXT, booleans 1/0, null NULL,
/// objects and arrays their JSON text. The caller runs it inside a transaction.
/// </summary>
internal sealed class DatasetTableWriter(sqlite3 db, CustomSqlOptions limits) : IDisposable
{
    /// <summary>The one column of <c>primary</c> when no row has any key (a SQLite table needs a column).</summary>
    public const string NoKeysColumn = "_no_keys";

    private readonly List<string> _columns = [];
    private readonly Dictionary<string, int> _columnIndex = new(StringComparer.Ordinal);
    // SQLite compares identifiers ignoring ASCII case only; keys that collide that way cannot both be columns.
    private readonly Dictionary<string, string> _columnByFoldedName = new(StringComparer.Ordinal);
    private readonly List<Cell> _cells = [];
    private byte[] _inlineRow = new byte[4096];
    private byte[] _text = new byte[4096];
    private int _textLength;
    private sqlite3_stmt? _insert;
    private int _insertColumnCount;
    private bool _tableCreated;
    private long _rowsBeforeFirstKey;

    public long RowCount { get; private set; }

    public long ByteCount { get; private set; }

    public int ColumnCount => _columns.Count;

    /// <summary>Throws when a line still without its end is already longer than the bytes left under the limit.</summary>
    public void CheckPendingLine(long bytes)
    {
        if (ByteCount + bytes > limits.MaxBytes)
        {
            throw TooManyBytes();
        }
    }

    /// <summary>Adds an inline row (a JSON object), from its text as given, so nested values keep their original JSON text.</summary>
    /// <exception cref="InvalidDataException">The row is not a JSON object.</exception>
    public void AddRow(JsonElement row)
    {
        var text = row.GetRawText();
        var needed = Encoding.UTF8.GetByteCount(text);
        if (_inlineRow.Length < needed)
        {
            _inlineRow = new byte[Math.Max(needed, _inlineRow.Length * 2)];
        }
        var length = Encoding.UTF8.GetBytes(text, _inlineRow);
        AddRow(new ReadOnlySequence<byte>(_inlineRow, 0, length));
    }

    /// <summary>Adds one row given as the UTF-8 JSON text of an object.</summary>
    /// <exception cref="InvalidDataException">The text is not one JSON object.</exception>
    /// <exception cref="JsonException">The text is not valid JSON.</exception>
    /// <exception cref="CustomSqlException">A limit of the copy is exceeded, or a key cannot be a column.</exception>
    public void AddRow(ReadOnlySequence<byte> json)
    {
        if (RowCount >= limits.MaxRows)
        {
            throw new CustomSqlException(string.Create(CultureInfo.InvariantCulture,
                $"The dataset has more than {limits.MaxRows:N0} rows, the most the embedded SQLite copy for CustomSql holds (Sluice:Validation:CustomSql:MaxRows)."));
        }
        CheckPendingLine(json.Length);
        ReadCells(json);
        ByteCount += json.Length;
        RowCount++;
        if (!_tableCreated)
        {
            _rowsBeforeFirstKey++;
            return;
        }
        Insert();
    }

    /// <summary>Creates the table if no row had a key, and inserts the rows still waiting for it.</summary>
    public void Complete()
    {
        if (!_tableCreated)
        {
            CreateTable(NoKeysColumn);
        }
        FinalizeInsert();
    }

    public void Dispose() => FinalizeInsert();

    private void ReadCells(ReadOnlySequence<byte> json)
    {
        _cells.Clear();
        _textLength = 0;
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            throw new InvalidDataException("A row must be a JSON object.");
        }
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var column = ColumnFor(reader.GetString()!);
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    var start = _textLength;
                    EnsureText(reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length);
                    _textLength += reader.CopyString(_text.AsSpan(_textLength));
                    _cells.Add(Cell.Text(column, start, _textLength - start));
                    break;
                case JsonTokenType.Number when reader.TryGetInt64(out var integer):
                    _cells.Add(Cell.Integer(column, integer));
                    break;
                case JsonTokenType.Number when reader.TryGetDouble(out var real) && double.IsFinite(real):
                    _cells.Add(Cell.Real(column, real));
                    break;
                case JsonTokenType.Number:
                    // Beyond a double's range: keep the number as written rather than lose it.
                    _cells.Add(CopyRaw(column, reader.HasValueSequence ? reader.ValueSequence : new ReadOnlySequence<byte>(reader.ValueSpan.ToArray())));
                    break;
                case JsonTokenType.True or JsonTokenType.False:
                    _cells.Add(Cell.Integer(column, reader.TokenType == JsonTokenType.True ? 1 : 0));
                    break;
                case JsonTokenType.StartObject or JsonTokenType.StartArray:
                    var tokenStart = reader.TokenStartIndex;
                    reader.Skip();
                    _cells.Add(CopyRaw(column, json.Slice(tokenStart, reader.BytesConsumed - tokenStart)));
                    break;
                default:
                    // JSON null: the column's binding stays NULL.
                    break;
            }
        }
        if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
        {
            throw new InvalidDataException("A row must be a single JSON object.");
        }
    }

    private Cell CopyRaw(int column, ReadOnlySequence<byte> raw)
    {
        var start = _textLength;
        EnsureText(raw.Length);
        raw.CopyTo(_text.AsSpan(_textLength));
        _textLength += (int)raw.Length;
        return Cell.Text(column, start, _textLength - start);
    }

    private void EnsureText(long more)
    {
        if (_textLength + more > _text.Length)
        {
            Array.Resize(ref _text, (int)Math.Max(_text.Length * 2L, _textLength + more));
        }
    }

    private int ColumnFor(string key)
    {
        if (_columnIndex.TryGetValue(key, out var index))
        {
            return index;
        }
        if (key.Contains('\0', StringComparison.Ordinal))
        {
            throw new CustomSqlException("The dataset has a key containing the character U+0000, which cannot name a SQLite column.");
        }
        var folded = FoldAsciiCase(key);
        if (_columnByFoldedName.TryGetValue(folded, out var existing))
        {
            throw new CustomSqlException(
                $"The dataset has the keys '{existing}' and '{key}', which differ only in letter case; SQLite column names ignore case, so CustomSql cannot tell them apart.");
        }
        if (_tableCreated)
        {
            FinalizeInsert();
            Execute($"ALTER TABLE {PrimaryTableName.Quoted} ADD COLUMN {QuoteIdentifier(key)}");
        }
        else
        {
            CreateTable(key);
        }
        index = _columns.Count;
        _columns.Add(key);
        _columnIndex.Add(key, index);
        _columnByFoldedName.Add(folded, key);
        return index;
    }

    private void CreateTable(string firstColumn)
    {
        Execute($"CREATE TABLE {PrimaryTableName.Quoted} ({QuoteIdentifier(firstColumn)})");
        _tableCreated = true;
        if (_rowsBeforeFirstKey > 0)
        {
            Execute(string.Create(CultureInfo.InvariantCulture,
                $"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {_rowsBeforeFirstKey}) INSERT INTO {PrimaryTableName.Quoted} SELECT NULL FROM n"));
            _rowsBeforeFirstKey = 0;
        }
    }

    private void Insert()
    {
        if (_insert is null || _insertColumnCount != _columns.Count)
        {
            FinalizeInsert();
            var sql = new StringBuilder($"INSERT INTO {PrimaryTableName.Quoted} (");
            sql.AppendJoin(", ", _columns.Select(QuoteIdentifier)).Append(") VALUES (");
            sql.AppendJoin(", ", Enumerable.Range(1, _columns.Count).Select(i => "?" + i.ToString(CultureInfo.InvariantCulture))).Append(')');
            Check(raw.sqlite3_prepare_v2(db, sql.ToString(), out _insert));
            _insertColumnCount = _columns.Count;
        }
        var insert = _insert!;
        foreach (var cell in _cells)
        {
            var parameter = cell.Column + 1;
            Check(cell.Kind switch
            {
                CellKind.Integer => raw.sqlite3_bind_int64(insert, parameter, cell.IntegerValue),
                CellKind.Real => raw.sqlite3_bind_double(insert, parameter, cell.RealValue),
                // An empty span would reach SQLite as a null pointer, which binds NULL instead of ''.
                _ when cell.TextLength == 0 => raw.sqlite3_bind_text(insert, parameter, ""),
                _ => raw.sqlite3_bind_text(insert, parameter, _text.AsSpan(cell.TextStart, cell.TextLength)),
            });
        }
        var stepped = raw.sqlite3_step(insert);
        raw.sqlite3_reset(insert);
        raw.sqlite3_clear_bindings(insert);
        if (stepped != raw.SQLITE_DONE)
        {
            Check(stepped);
        }
    }

    private void Execute(string sql) => Check(raw.sqlite3_exec(db, sql));

    /// <summary>SQLite failures while loading come from the data (too many columns, the size cap): the rules end in Error.</summary>
    private void Check(int result)
    {
        if (result == raw.SQLITE_OK)
        {
            return;
        }
        if (result == raw.SQLITE_FULL)
        {
            throw TooManyBytes();
        }
        throw new CustomSqlException($"The dataset could not be copied into SQLite for CustomSql: {raw.sqlite3_errmsg(db).utf8_to_string()}");
    }

    private CustomSqlException TooManyBytes() => new(string.Create(CultureInfo.InvariantCulture,
        $"The dataset is larger than {limits.MaxBytes:N0} bytes, the most the embedded SQLite copy for CustomSql holds (Sluice:Validation:CustomSql:MaxBytes)."));

    private void FinalizeInsert()
    {
        _insert?.Dispose();
        _insert = null;
    }

    /// <summary>A SQLite identifier: double-quoted, with inner double quotes doubled, so any key is safe.</summary>
    public static string QuoteIdentifier(string name) => "\"" + name.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string FoldAsciiCase(string name) => string.Create(name.Length, name, static (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            span[i] = char.IsAsciiLetterUpper(source[i]) ? (char)(source[i] | 0x20) : source[i];
        }
    });

    private enum CellKind : byte
    {
        Integer,
        Real,
        Text,
    }

    /// <summary>One non-null value of the row being read; text lives in the shared buffer.</summary>
    private readonly record struct Cell(int Column, CellKind Kind, long IntegerValue, double RealValue, int TextStart, int TextLength)
    {
        public static Cell Integer(int column, long value) => new(column, CellKind.Integer, value, 0, 0, 0);

        public static Cell Real(int column, double value) => new(column, CellKind.Real, 0, value, 0, 0);

        public static Cell Text(int column, int start, int length) => new(column, CellKind.Text, 0, 0, start, length);
    }
}
