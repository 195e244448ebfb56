"""Putting the app on members' phones: training slots, set-up and support."""
