"""Email campaigns: routes, records, request rules, the campaign book, sends and engagement."""
