"""Register the notification handlers: the inbox (transactional: one row per user and event,
even when the event is handled again) and, when KB_SMTP_HOST is set, e-mail (external: at
least once, never twice to an address that was served)."""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session

from kb.config import Config
from kb.events.jobs.registry import DELIVERY_LANE, Handler, Registry
from kb.events.log.models import Event
from kb.events.log.services import KB_TYPE_PREFIX
from kb.notifications.drafts import TYPES
from kb.notifications.mail import MailSettings, send_mail
from kb.notifications.services import write_inbox

INBOX, MAIL = "notifications.inbox", "notifications.mail"
#: a mail server may be away for a while: retry for about a day and a half
MAIL_SCHEDULE = (5, 60, 300, 1800, 7200, 18000, 36000, 86400)


def register(registry: Registry, config: Config) -> None:
    types = tuple(f"{KB_TYPE_PREFIX}.{kind}" for kind in TYPES)

    def inbox(s: Session, event: Event) -> None:
        write_inbox(s, event)

    # neither relies on order: one failing mail must not hold back a project's next ones
    registry.register(Handler(name=INBOX, types=types, fn=inbox, ordered=False))
    if config.SMTP_HOST:
        # a slow mail server must not hold up kb's own handlers: the deliveries lane
        registry.register(
            Handler(
                name=MAIL,
                types=types,
                transactional=False,
                ordered=False,
                fn=partial(send_mail, settings=MailSettings.of(config)),
                schedule=MAIL_SCHEDULE,
                lane=DELIVERY_LANE,
                receiver=lambda s, name: config.SMTP_HOST,
            )
        )
