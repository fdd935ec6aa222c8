"""Organizations: the tenants, their settings, units and predefined teams."""
