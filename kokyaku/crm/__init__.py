"""The CRM records Kokyaku works from: teams, reps, accounts, deals, activities, targets."""
