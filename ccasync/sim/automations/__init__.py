"""Automations (``/automations/workflows``): list-join flows that really send, once per contact."""
