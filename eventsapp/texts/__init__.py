"""Text-message (SMS) reminders: the provider interface (provider.py), Twilio (twilio.py),
the worker's sweep (worker.py) and the provider's inbound webhook for STOP (inbound.py)."""
