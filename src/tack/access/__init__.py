"""Who may do what in an app: permission groups, app administrators, and each member's
effective rights on a form (`form_access`)."""
