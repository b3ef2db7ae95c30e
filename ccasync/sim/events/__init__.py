"""Events (``/events``): events with a default track, registrations, tickets and check-in."""
