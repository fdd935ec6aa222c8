"""Users: invite, read and manage the members of an organization."""
