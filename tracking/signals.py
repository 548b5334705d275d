"""Signals other apps subscribe to (segments refresh memberships, experiments move
assignments); sent after the writing transaction commits."""

from django.dispatch import Signal

# kwargs: visitor_ids (set[str]), event_types (set[str]), sent_types (dict[str, list[str]]:
# the types each visitor sent; None when a stored announcement is replayed)
events_ingested = Signal()
# kwargs: source_visitor_id, target_visitor_id; sent inside the stitching transaction so
# receivers re-point their own rows atomically.
visitors_merged = Signal()
# kwargs: visitor_id; sent after commit when a visitor grants marketing e-mail consent
# that still needs confirming (double opt-in): triggers e-mails the confirmation link.
marketing_consent_requested = Signal()
