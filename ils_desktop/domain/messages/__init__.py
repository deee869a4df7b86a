"""Rules for messages to patients: which channel (consent), the wording (templates), when to try
again (backoff), recall reminder stages, and how webhooks are signed. Pure functions."""
