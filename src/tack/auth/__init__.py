"""Sign-in, sessions, API tokens and the permission policy."""
