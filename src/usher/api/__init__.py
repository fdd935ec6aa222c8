"""The REST API door: shared dependencies, problem+json rendering, the v1 router."""
