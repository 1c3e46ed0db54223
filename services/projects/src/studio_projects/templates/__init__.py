"""User templates: a generation's settings a person saved to start from again.

Kept here rather than in a service of their own because they are user-owned workspace objects
like projects: the same database, the same ownership rules, nothing new to deploy."""
