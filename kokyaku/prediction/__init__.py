"""受注確率 learned from the team's history: stored models, training, the report page and the API (issue 9)."""
