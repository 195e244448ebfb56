"""Web Push alerts that tell members how their cases are moving."""
