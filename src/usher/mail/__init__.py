"""Outgoing mail: the outbox table, its templates, and the worker that delivers it."""
