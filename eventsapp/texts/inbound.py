"""Twilio's inbound-message webhook: replies to our number, for STOP and START.

`POST /webhooks/twilio/sms`. Believed only with a good X-Twilio-Signature (texts/twilio.py),
computed over the URL as Twilio called it, which is PUBLIC_BASE_URL + the path (never the
Host header, which a proxy or a forger sets); a bad or missing signature, or no
TWILIO_AUTH_TOKEN, is a 403 and changes nothing. STOP, STOPALL, UNSUBSCRIBE, CANCEL, END,
QUIT, OPTOUT or REVOKE (the whole body, any case) stops texts to that number; START or
UNSTOP resumes them. Anything else is ignored. The answer is an empty TwiML <Response/>:
Twilio itself sends the carrier's STOP confirmation. Neither the number nor the body is
logged.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request

from eventsapp.extensions import csrf, db
from eventsapp.services import text_reminders
from eventsapp.texts import twilio
from eventsapp.uktime import utcnow

bp = Blueprint("texts", __name__)

STOP_WORDS = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "OPTOUT", "REVOKE"}
START_WORDS = {"START", "UNSTOP"}
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def called_url() -> str:
    """The URL Twilio posted to, as it signed it."""
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    query = request.query_string.decode("latin-1")
    return f"{url}?{query}" if query else url


@bp.post("/webhooks/twilio/sms")
@csrf.exempt  # Twilio posts without a session: its signature is checked instead
def twilio_sms() -> Response:
    params = list(request.form.items(multi=True))
    given = request.headers.get("X-Twilio-Signature", "")
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    if not twilio.signature_matches(token, called_url(), params, given):
        db.session.rollback()
        reason = "no TWILIO_AUTH_TOKEN is set" if not token else "bad signature"
        current_app.logger.warning("Twilio SMS webhook refused: %s", reason)
        return Response("Forbidden", 403, mimetype="text/plain")
    word = request.form.get("Body", "").strip().upper()
    sender = text_reminders.e164(request.form.get("From", ""))
    if sender and word in STOP_WORDS:
        stopped = text_reminders.stop(sender, utcnow())
        current_app.logger.info("text reminders stopped by reply: %d opt-in(s)", stopped)
    elif sender and word in START_WORDS:
        resumed = text_reminders.resume(sender)
        current_app.logger.info("text reminders resumed by reply: %d opt-in(s)", resumed)
    db.session.commit()
    return Response(EMPTY_TWIML, 200, mimetype="text/xml")
