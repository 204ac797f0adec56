namespace Sluice.ObjectStore;

/// <summary>The rule an invalid object key breaks.</summary>
public enum ObjectKeyProblem
{
    /// <summary>The key is empty.</summary>
    Empty,

    /// <summary>The key is longer than 1024 bytes of UTF-8 (S3's limit), counting any key prefix the store adds.</summary>
    TooLong,

    /// <summary>The key starts with '/' or is otherwise a rooted path.</summary>
    Absolute,

    /// <summary>The key has an empty segment ('a//b') or ends with '/'.</summary>
    EmptySegment,

    /// <summary>The key has a '.' or '..' segment.</summary>
    DotSegment,

    /// <summary>The key contains a backslash, which some file systems and tools read as a separator.</summary>
    Backslash,

    /// <summary>The key contains NUL or another control character.</summary>
    ControlCharacter,

    /// <summary>The key contains an unpaired UTF-16 surrogate and so has no UTF-8 form.</summary>
    InvalidUnicode,

    /// <summary>A segment is longer than the file system allows for one name (255 bytes of UTF-8; local directory store only).</summary>
    SegmentTooLong,

    /// <summary>The key lies in a part of the store's namespace reserved for its own use (local directory store only).</summary>
    Reserved,

    /// <summary>The key would resolve to a path outside the store's root directory (local directory store only).</summary>
    EscapesRoot,
}
