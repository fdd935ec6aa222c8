"""Authentication: passwords, sign-in sessions, API tokens, password reset."""
