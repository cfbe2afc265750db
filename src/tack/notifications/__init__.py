"""In-app notifications: what a member is told in the web app (the bell), one row per recipient.

Approval flows notify assignees here now; messaging will later carry the same notifications to
chat and phones.
"""
