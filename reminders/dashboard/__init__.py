"""The team dashboard's content: the figures, table and chart of a subscription's scope (view,
chart) and one member's details (member), as pure functions of the lines and the day; the
pages that show them are web/dashboard.py."""
