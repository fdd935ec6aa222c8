"""Page routes, one module per area; each calls the services and renders a template."""
