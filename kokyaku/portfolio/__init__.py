"""The portfolio: criteria, snapshots, zones, effort vs return and targets."""
