"""The ``usher`` command line: thin commands that call the same services as the API."""
