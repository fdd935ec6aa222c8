"""Bulk import of users from CSV and spreadsheet files."""
