"""Authentication and authorisation of the gateway API: users, tokens, sessions, roles, scope."""
