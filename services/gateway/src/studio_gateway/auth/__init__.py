"""Who is calling and their account: credentials, passwords, sessions and API tokens, the
accounts routes, and the broadcast that revokes a credential on every gateway."""
