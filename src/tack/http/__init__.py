"""HTTP glue: problem responses, who is calling (sessions, tokens), idempotency, the web app."""
