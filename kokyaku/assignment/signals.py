"""What the assignment app tells the apps above it, without importing them.

``plan_applied`` is sent by ``assignment_apply`` inside its transaction, once every owner, open
deal, audit row and hand-over is written: a receiver's writes commit or roll back with the plan.
The follow-up queue listens (``kokyaku.followups``: dormant accounts moved to developing reps get
their follow-up), so the import runs followups -> assignment only. Argument: ``plan`` (applied).
"""

from django.dispatch import Signal

plan_applied = Signal()
