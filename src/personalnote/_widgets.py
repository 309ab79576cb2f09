"""The review widget for Jupyter: read a queued draft, then approve, edit or reject it in place.

It shows the draft (findings marked in the text), a text area holding its current text, a
reason field (an edit's reason; a rejection needs one), an override reason field (shown when
the text has blocking findings) and Approve / Save edit / Reject / Reload buttons (Approve is
disabled for a draft whose moment is no longer fresh at ``as_of``: it shows as expired). Each button
calls the queue with the version shown, so when someone decided first the queue's
``StaleDraftError`` appears in the widget's status line (as does any other refusal): nothing is
raised into the void and nothing is overwritten. Reload reads the draft again.

ipywidgets is imported only when a widget is made (``pip install 'personalnote[notebook]'``).

Example::

    alice = pn.Reviewer("alice", "Alice Smith", "crew lead")
    review = pn.ReviewWidget(queue, item.id, reviewer=alice, current=history, as_of=now)
    review                    # last line of a cell: the widget
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from ._context import CustomerContext
from ._display import queued_html
from ._errors import ConfigurationError, PersonalNoteError
from ._history import CustomerHistory
from ._instants import AsOf
from ._queue_types import DECIDABLE, EDITABLE, QueuedDraft, Reviewer
from ._review import ReviewQueue

__all__ = ["ReviewWidget"]

_ERROR_STYLE = "color:#b42318;font-family:system-ui,sans-serif;font-size:13px"
_DONE_STYLE = "color:#1a7f37;font-family:system-ui,sans-serif;font-size:13px"


def _ipywidgets() -> Any:
    """The ipywidgets module (untyped), or a ConfigurationError that says how to install it."""
    try:
        return importlib.import_module("ipywidgets")
    except ImportError as exc:
        raise ConfigurationError("the review widget needs ipywidgets: pip install 'personalnote[notebook]'"
                                 ) from exc


class ReviewWidget:
    """Approve, edit or reject one queued draft from a notebook, as ``reviewer``.

    ``current`` (the customer's current history, with ``as_of``, or a context built from it)
    is what approval re-checks the moment on; without it the widget can edit and reject only.
    ``error`` holds the last refusal (e.g. a ``StaleDraftError``), ``item`` the draft as shown.
    """

    def __init__(self, queue: ReviewQueue, draft_id: int, *, reviewer: Reviewer,
                 current: CustomerHistory | CustomerContext | None = None, as_of: AsOf | None = None,
                 business_events: Sequence[Any] = ()) -> None:
        widgets = _ipywidgets()
        self.queue, self.draft_id, self.reviewer = queue, draft_id, reviewer
        self.current, self.as_of, self.business_events = current, as_of, business_events
        self.error: PersonalNoteError | None = None
        self.view = widgets.HTML()
        self.text = widgets.Textarea(description="Text", layout=widgets.Layout(width="100%", height="14em"))
        self.reason = widgets.Text(description="Reason", layout=widgets.Layout(width="100%"),
                                   placeholder="why you edit or reject it (a rejection needs one)")
        self.override_reason = widgets.Text(description="Override", layout=widgets.Layout(width="100%"),
                                            placeholder="why you approve it despite its blocking findings")
        self.approve_button = widgets.Button(description="Approve", button_style="success")
        self.edit_button = widgets.Button(description="Save edit", button_style="info")
        self.reject_button = widgets.Button(description="Reject", button_style="danger")
        self.reload_button = widgets.Button(description="Reload")
        self.status = widgets.HTML()
        self.approve_button.on_click(lambda _button: self.approve())
        self.edit_button.on_click(lambda _button: self.save_edit())
        self.reject_button.on_click(lambda _button: self.reject())
        self.reload_button.on_click(lambda _button: self.reload())
        buttons = widgets.HBox([self.approve_button, self.edit_button, self.reject_button,
                                self.reload_button])
        self.box = widgets.VBox([self.view, self.text, self.reason, self.override_reason, buttons,
                                 self.status])
        self.item = queue.get(draft_id)
        self._show(self.item)

    @property
    def version(self) -> int:
        """The version the reviewer is looking at (what every decision names)."""
        return self.item.version

    def _show(self, item: QueuedDraft) -> None:
        self.item = item
        self.view.value = queued_html(item, as_of=self.as_of)
        self.text.value = item.text
        self.override_reason.layout.display = None if item.blocking else "none"
        expired = self.as_of is not None and item.expired(self.as_of)  # the queue would refuse it
        self.approve_button.disabled = item.state not in DECIDABLE or expired
        for button in (self.edit_button, self.reject_button):
            button.disabled = item.state not in EDITABLE

    def _say(self, message: str, *, error: bool = False) -> None:
        self.status.value = f'<div style="{_ERROR_STYLE if error else _DONE_STYLE}">{message}</div>'

    def _act(self, action: Callable[[], QueuedDraft],
             done: Callable[[QueuedDraft], str]) -> QueuedDraft | None:
        """Run one queue call; show the new version and ``done``, or the refusal (nothing raised)."""
        try:
            item = action()
        except PersonalNoteError as exc:
            self.error = exc
            self._say(f"<b>{escape(type(exc).__name__)}</b>: {escape(str(exc))}", error=True)
            return None
        self.error = None
        self._show(item)
        self.reason.value = self.override_reason.value = ""
        self._say(escape(done(item)))
        return item

    def approve(self) -> QueuedDraft | None:
        """Approve the version shown (with the override reason if it has blocking findings)."""
        if self.text.value != self.item.text:
            self._say("The text was changed in the box: <b>Save edit</b> first (the edit is checked again "
                      "and needs its own approval), or <b>Reload</b> to drop the change.", error=True)
            return None
        current = self.current
        if current is None or (self.as_of is None and not isinstance(current, CustomerContext)):
            self._say("Approval re-checks the moment on the customer's current history: make the widget "
                      "with <code>current=history, as_of=now</code> (or <code>current=context</code>).",
                      error=True)
            return None
        override = self.override_reason.value.strip() or None
        return self._act(
            lambda: self.queue.approve(self.draft_id, self.reviewer, version=self.version, current=current,
                                       as_of=self.as_of, business_events=self.business_events,
                                       override_reason=override),
            lambda item: f"Approved version {item.version} as {self.reviewer.name}"
                         + (f" (override: {override})" if override else "") + ".")

    def save_edit(self) -> QueuedDraft | None:
        """Save the text box as the next version; it is checked again and needs its own approval."""
        text, reason = self.text.value, self.reason.value.strip() or None
        return self._act(
            lambda: self.queue.edit(self.draft_id, self.reviewer, version=self.version, text=text,
                                    reason=reason),
            lambda item: f"Saved version {item.version}, checked again: {len(item.blocking)} blocking "
                         "finding(s). It needs its own approval.")

    def reject(self) -> QueuedDraft | None:
        """Reject the version shown, with the reason typed in the reason field."""
        reason = self.reason.value
        return self._act(
            lambda: self.queue.reject(self.draft_id, self.reviewer, version=self.version, reason=reason),
            lambda item: f"Rejected as {self.reviewer.name}: {reason.strip()}.")

    def reload(self) -> QueuedDraft | None:
        """Read the draft again (after someone else decided), dropping changes in the text box."""
        return self._act(lambda: self.queue.get(self.draft_id),
                         lambda item: f"Reloaded: version {item.version}, {item.state}.")

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return self.box._repr_mimebundle_(**kwargs)

    def __repr__(self) -> str:
        return f"ReviewWidget(draft {self.draft_id}, version {self.version}, {self.item.state})"
