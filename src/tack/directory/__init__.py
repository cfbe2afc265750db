"""The directory: organizations, people, departments, managers, roles and administrators."""
