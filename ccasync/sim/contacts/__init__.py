"""Contacts and what they belong to: contacts, lists, tags, custom fields (routes and records)."""
