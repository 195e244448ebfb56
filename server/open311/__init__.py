"""Open311 GeoReport v2: street reports from other systems, as hub cases.

A client system such as FixMyStreet reads the council's categories as
services, posts reports that become cases in the hub's queue, reads how
they stand, and trades updates with the hub.
"""
