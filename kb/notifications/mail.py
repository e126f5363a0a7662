"""E-mail through SMTP: one plain-text message per address and event.

An external handler (it reaches outside): at least once. Each address is recorded in
SentMail right after its message was accepted, so a retried run skips the addresses already
served and a crash between sending and recording can at worst send one message twice.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import select

from kb.config import Config
from kb.db import Database
from kb.events.jobs.models import HandlerRun
from kb.events.log.models import Event
from kb.notifications.models import SentMail
from kb.notifications.recipients import Message, recipients
from kb.notifications.services import insert_ignoring_duplicates

log = logging.getLogger(__name__)
FOOTER = "\n\n-- \nkb, the PMO's memory. You receive this because of your part in the work above."


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int = 25
    sender: str = "kb@localhost"
    username: str = ""
    password: str = ""
    starttls: bool = False
    timeout: float = 10.0
    base_url: str = ""

    @classmethod
    def of(cls, config: Config) -> MailSettings:
        smtp = ("host", "port", "username", "password", "starttls", "timeout")
        return cls(
            **{name: getattr(config, f"SMTP_{name.upper()}") for name in smtp},
            sender=config.SMTP_FROM,
            base_url=config.BASE_URL,
        )

    def url(self, link: str | None) -> str | None:
        """The link as people can follow it from a mail: absolute when KB_BASE_URL is set."""
        if not link:
            return None
        return self.base_url.rstrip("/") + link if self.base_url else link


def compose(message: Message, settings: MailSettings) -> EmailMessage:
    mail = EmailMessage()
    mail["Subject"] = f"[kb] {message.title}"
    mail["From"] = settings.sender
    mail["To"] = message.address
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    link = settings.url(message.link)
    mail.set_content(message.body + (f"\n\n{link}" if link else "") + FOOTER)
    return mail


def outstanding(db: Database, event: Event) -> list[Message]:
    """The event's messages with an address that has not been served yet, one per address."""
    with db.read() as s:
        messages = [m for m in recipients(s, event) if m.address]
        done = set(s.scalars(select(SentMail.address).where(SentMail.event_seq == event.seq)))
    out, seen = [], set(done)
    for message in messages:
        address = message.address.lower()
        if address not in seen:
            seen.add(address)
            out.append(message)
    return out


def send_mail(db: Database, run: HandlerRun, event: Event, *, settings: MailSettings) -> None:
    """The `notifications.mail` handler: mail everyone the event concerns who has an address."""
    todo = outstanding(db, event)
    if not todo:
        return
    with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
        if settings.starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.username:
            smtp.login(settings.username, settings.password)
        for message in todo:
            try:
                smtp.send_message(compose(message, settings))
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _ in exc.recipients.values()]
                if codes and all(code >= 500 for code in codes):  # permanent: retrying is pointless
                    log.warning(
                        "mail about event %s to %s refused: %s",
                        event.seq,
                        message.address,
                        exc.recipients,
                    )
                    continue
                raise
            with db.write() as s:
                insert_ignoring_duplicates(
                    s, SentMail, event_seq=event.seq, address=message.address.lower()[:254]
                )
            log.info("%s: mailed event %s to %s", run.handler, event.seq, message.address)
