"""Authorization: the one place that decides who may do what, and that makes OrgScope values."""
