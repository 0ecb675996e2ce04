"""What the portfolio tells the apps above it, without importing them.

``snapshot_written`` is sent by ``snapshot_create`` inside its transaction, once every row is
written: a receiver's writes commit or roll back with the snapshot (the follow-up queue is
built this way). Arguments: ``snapshot``; ``accounts`` (frame ``account_id, owner_id,
buyer_type``), ``lifecycle`` (one value per account, aligned) and ``deals`` (the domain's deal
columns, as loaded), so a receiver need not read them again.
"""

from django.dispatch import Signal

snapshot_written = Signal()
