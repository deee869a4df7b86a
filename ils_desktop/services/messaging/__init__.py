"""Messages to patients and systems (issue 18): the event log, the outbox and its background
sender, email (SMTP), SMS (a JSON gateway), letters, templates, recall runs, automatic messages,
staff notifications and webhooks. See ``docs/messages.md``."""
