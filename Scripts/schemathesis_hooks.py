"""schemathesis hooks for check-api.py: archives (a definition set's zip or gzip'd tar) are sent as the bytes
schemathesis generates for a binary body, as it does for application/octet-stream."""
import schemathesis


@schemathesis.serializer("application/zip", "application/gzip")
def archive_serializer(ctx, value):
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")
