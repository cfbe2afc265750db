"""Core machinery every domain stands on: ids, clock, errors, Ctx, database, events, jobs."""
