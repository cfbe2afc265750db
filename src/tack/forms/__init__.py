"""Forms: typed field definitions (one plug-in per field type family) and the rules that turn
what a person typed into a clean record value — or into errors that name each field."""
