"""Technology partners (``/partner``): x-api-key + JWT auth, client accounts, plans, webhooks."""
