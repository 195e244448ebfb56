"""The Customer Hub: its contacts, triage, departments, targets and figures."""
