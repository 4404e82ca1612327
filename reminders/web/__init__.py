"""The HTTP side: the JSON API (/api/v1), the unsubscribe and preference pages (/u/, /p/) and
the calendar feed (/ics/), served by `reminders run` and `reminders web`."""
