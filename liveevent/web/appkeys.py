"""Typed keys for everything the aiohttp application holds (declared once, here)."""

from __future__ import annotations

import weakref

from aiohttp import web

from liveevent.config import Settings
from liveevent.office.sheet_process import SheetReader
from liveevent.store.applications import ApplicationLog
from liveevent.store.attribution import AttributionStore
from liveevent.store.connect import StoreConnection
from liveevent.store.events import EventStore
from liveevent.store.ingest import ApplicationIngest
from liveevent.store.outbox import Outbox
from liveevent.store.questions import QuestionStore
from liveevent.store.replays import ReplayStore
from liveevent.store.signups import SignupLog
from liveevent.store.venues import VenueStore
from liveevent.web.budget import FloodCooldown
from liveevent.web.hub import Hub
from liveevent.web.limits import Limits
from liveevent.web.metrics import Metrics
from liveevent.web.notifier import Notifier
from liveevent.web.stats_feed import StatsFeed
from liveevent.web.waitlist import WaitlistBook

SETTINGS = web.AppKey("settings", Settings)
STORE = web.AppKey("store", StoreConnection)
EVENTS = web.AppKey("events", EventStore)
APPLICATIONS = web.AppKey("applications", ApplicationLog)
INGEST = web.AppKey("ingest", ApplicationIngest)
HUB = web.AppKey("hub", Hub)
LIMITS = web.AppKey("limits", Limits)
FLOODS = web.AppKey("floods", FloodCooldown)
METRICS = web.AppKey("metrics", Metrics)
VENUES = web.AppKey("venues", VenueStore)  # venues, check-ins (issue 16 part 4)
QUESTIONS = web.AppKey("questions", QuestionStore)  # questions on the card (issue 17 part 2)
SHEETS = web.AppKey("sheets", SheetReader)  # job and outcome sheets, read off the loop
ATTRIBUTION = web.AppKey("attribution", AttributionStore)  # cities, channels, figures
WEBSOCKETS = web.AppKey("websockets", weakref.WeakSet[web.WebSocketResponse])
REPLAYS = web.AppKey("replays", ReplayStore)  # recordings of ended events (issue 17)
WAITLIST = web.AppKey("waitlist", WaitlistBook)  # an apply answer's "waitlist" (issue 16)
SIGNUPS = web.AppKey("signups", SignupLog)  # sign-ups (预约), web/signups.py
OUTBOX = web.AppKey("outbox", Outbox)  # the notifier's durable outbox
NOTIFIER = web.AppKey("notifier", Notifier)  # only when a webhook is configured
STATS_FEED = web.AppKey("stats_feed", StatsFeed)  # consoles' shared stats (web/host.py)
