"""Small shared pieces used by every domain: tokens, clock, client info."""
