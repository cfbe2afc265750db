"""Records: the data forms collect, as JSON documents in shared tables, with versions for
optimistic concurrency, a field-level revision history, soft delete and comments."""
