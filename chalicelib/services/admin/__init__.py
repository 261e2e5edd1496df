"""The owner's use cases. Every function takes the authenticated Principal first and
reads only that principal's business: tenant isolation lives here, not in the routes."""
