"""Invitations: single-use, expiring registration links, mailed or handed over by an admin."""
