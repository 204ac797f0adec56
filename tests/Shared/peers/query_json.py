"""How the Python peers report sluice.query.v1 values to the C# tests, as JSON."""

import base64


def field_json(field):
    """One query Field as {member: value}: longs as decimal text (exact int64), blobs as base64, {} if unset."""
    member = field.WhichOneof("value")
    if member is None:
        return {}
    value = getattr(field, member)
    if member == "long_value":
        value = str(value)
    elif member == "blob_value":
        value = base64.b64encode(value).decode("ascii")
    return {member: value}
