"""The audit log: every admin action and every sign-in attempt."""
