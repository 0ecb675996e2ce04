"""Portfolio pages, one module per page: team, the accounts tables, an account, review, criteria,
effort vs return, targets, and the home page's portfolio panels.

Each view validates its input, calls selectors (a fixed handful of aggregate queries, whatever the
portfolio size) or one service, shapes the result with :mod:`kokyaku.portfolio.presenters`, and
renders. Everyone sees the whole team; writes are checked by the services
(:mod:`kokyaku.crm.permissions`): activities by the account's owner or a manager, criteria,
snapshots and targets by managers only.
"""
