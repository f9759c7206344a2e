"""Access: users, departments, roles, scopes, sessions, masking and the audit chain."""
