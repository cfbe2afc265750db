"""Saved views of a form's records: grid, kanban, calendar and gallery, personal or shared."""
